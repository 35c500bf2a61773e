import net from 'node:net';
import { HttpRequestScanner } from './http-request-scanner.js';

/** What happens to one new connection through a {@link FaultProxy}. */
export type ConnectionFault =
  /** Answer the first request with this HTTP status and S3-style error code (and `Retry-After`), then close. */
  | { type: 'http-error'; status: number; code: string; retryAfterSeconds?: number }
  /** Forward, but reset both sides after this many response bytes. */
  | { type: 'reset'; afterBytes: number }
  /** Accept and never answer. */
  | { type: 'blackhole' };

/** What happens to one request (whatever connection carries it) through a {@link FaultProxy}. */
export interface RequestFault {
  /** The requests it applies to, tested against the request line (`PUT /bucket/key?partNumber=1&… HTTP/1.1`). */
  match: RegExp;
  /**
   * Forward the head and this many bytes of the body (fewer than its `Content-Length`; requests with a shorter
   * body are passed on untouched), wait until they are written to the server, then close the server side and
   * reset the client side: the request dies mid-body, as when the client's machine or network fails.
   */
  cutBodyAfter: number;
}

/** A request that a {@link RequestFault} cut: its request line and the body bytes the server received. */
export interface CutRequest {
  requestLine: string;
  bodyBytes: number;
}

/**
 * A TCP proxy on a loopback port in front of `target`, for testing clients
 * against network faults: per-connection faults, requests cut mid-body, added
 * latency, and stopping or restarting the upstream path. It follows the
 * HTTP/1.1 requests clients send (`Content-Length` bodies), so it can say what
 * reached the server.
 */
export class FaultProxy {
  /** Connections accepted so far. */
  connections = 0;
  /** When each connection was accepted (`performance.now()`), in order. */
  readonly acceptedAt: number[] = [];
  /** Extra delay (ms) before forwarding each chunk upstream. */
  latencyMs = 0;
  /** The request line of every request forwarded to the server, in order. */
  readonly requests: string[] = [];
  /** The requests cut by a {@link RequestFault}, in order. */
  readonly cuts: CutRequest[] = [];
  readonly #target: { host: string; port: number };
  readonly #faults: ConnectionFault[] = [];
  readonly #requestFaults: RequestFault[] = [];
  readonly #sockets = new Set<net.Socket>();
  readonly #clients = new Set<net.Socket>();
  readonly #poisoned = new WeakSet<net.Socket>();
  #server: net.Server | undefined;
  #port = 0;

  constructor(target: { host?: string; port: number }) {
    this.#target = { host: target.host ?? '127.0.0.1', port: target.port };
  }

  /** Base URL of the proxy (`http://127.0.0.1:<port>`). */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Applies `fault` to each of the next `times` connections. */
  failNext(times: number, fault: ConnectionFault): this {
    for (let i = 0; i < times; i++) this.#faults.push(fault);
    return this;
  }

  /** Applies `fault` to each of the next `times` requests it matches, on whatever connection they come. */
  failRequests(times: number, fault: RequestFault): this {
    for (let i = 0; i < times; i++) this.#requestFaults.push(fault);
    return this;
  }

  /**
   * Turns every open client connection into a dead pooled one: the next request written on it is answered
   * with a TCP reset, as when a server or load balancer dropped an idle keep-alive socket. New connections
   * are not affected.
   */
  killOpenConnections(): this {
    for (const socket of this.#clients) this.#poisoned.add(socket);
    return this;
  }

  /** Starts listening (again, on the same port after {@link stop}). */
  async start(): Promise<this> {
    const server = net.createServer((socket) => this.#handle(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stops listening and drops every open connection (the endpoint is then refused). */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The cut for a request, if a queued {@link RequestFault} matches it (which is then used up). */
  #takeRequestFault(requestLine: string, bodyBytes: number): number | undefined {
    const index = this.#requestFaults.findIndex(
      (fault) => fault.match.test(requestLine) && fault.cutBodyAfter < bodyBytes,
    );
    if (index < 0) return undefined;
    return this.#requestFaults.splice(index, 1)[0]!.cutBodyAfter;
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
  }

  #handle(client: net.Socket): void {
    this.connections += 1;
    this.acceptedAt.push(performance.now());
    this.#track(client);
    this.#clients.add(client);
    client.once('close', () => this.#clients.delete(client));
    const fault = this.#faults.shift();
    if (fault?.type === 'blackhole') {
      client.resume();
      return;
    }
    if (fault?.type === 'http-error') {
      client.once('data', () => {
        const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected</Message></Error>`;
        client.end(
          `HTTP/1.1 ${fault.status} Injected\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${fault.retryAfterSeconds === undefined ? '' : `Retry-After: ${fault.retryAfterSeconds}\r\n`}Connection: close\r\n\r\n${body}`,
        );
      });
      return;
    }
    const upstream = net.connect(this.#target.port, this.#target.host);
    this.#track(upstream);
    const resetAfter = fault?.type === 'reset' ? fault.afterBytes : Infinity;
    let sent = 0;
    upstream.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > resetAfter) {
        client.write(chunk.subarray(0, chunk.length - (sent - resetAfter)));
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const scanner = new HttpRequestScanner(
      (line) => this.requests.push(line),
      (line, bodyBytes) => this.#takeRequestFault(line, bodyBytes),
    );
    let cut = false;
    const forward = (chunk: Buffer) => {
      const scanned = scanner.scan(chunk);
      if (!scanned.cut) return void upstream.write(chunk);
      cut = true;
      client.pause();
      upstream.write(scanned.forward, () => {
        this.cuts.push(scanned.cut!);
        upstream.destroy();
        client.resetAndDestroy();
      });
    };
    client.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (this.#poisoned.has(client)) {
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      if (this.latencyMs > 0) {
        client.pause();
        setTimeout(() => {
          forward(chunk);
          if (!cut) client.resume();
        }, this.latencyMs);
      } else {
        forward(chunk);
      }
    });
    upstream.on('end', () => client.end());
    client.on('end', () => upstream.end());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }
}
