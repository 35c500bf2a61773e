import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';

/** What the upstream server saw of one request: its line, the body bytes that arrived, whether it completed. */
interface Seen {
  line: string;
  bodyBytes: number;
  complete: boolean;
}

let upstream: http.Server;
let seen: Seen[];
/** Resolves with each request the upstream has finished seeing (completed or torn), in order. */
let finished: Array<(entry: Seen) => void>;
const answer = Buffer.alloc(100_000, 7);

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const entry: Seen = { line: `${req.method} ${req.url}`, bodyBytes: 0, complete: false };
    seen.push(entry);
    req.on('data', (chunk: Buffer) => (entry.bodyBytes += chunk.length));
    req.on('end', () => {
      entry.complete = true;
      res.writeHead(200, { 'content-length': String(answer.length) }).end(answer);
    });
    req.on('close', () => finished.shift()?.(entry));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

let proxy: FaultProxy;
let agent: http.Agent;
beforeEach(async () => {
  seen = [];
  finished = [];
  proxy = await new FaultProxy({ port: (upstream.address() as AddressInfo).port }).start();
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
});
afterEach(async () => {
  agent.destroy();
  await proxy.stop();
});

/** How a client sees its connection reset: on its next read, or on its next write. */
const CLIENT_RESET = ['ECONNRESET', 'EPIPE'];

const nextFinished = () => new Promise<Seen>((resolve) => finished.push(resolve));

/** One request through the proxy; resolves with the status and body, or rejects with the socket error. */
function send(
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; body: Buffer; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: proxy.port,
        method,
        path,
        agent,
        headers: body ? { 'content-length': String(body.length) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, body: all, text: all.toString() });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('FaultProxy', () => {
  it('forwards requests and answers unchanged over one kept-alive connection, recording each request line', async () => {
    const first = await send('PUT', '/a?x=1', Buffer.alloc(5000, 1));
    const second = await send('GET', '/b');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.equals(answer) && second.body.equals(answer)).toBe(true);
    expect(seen).toEqual([
      { line: 'PUT /a?x=1', bodyBytes: 5000, complete: true },
      { line: 'GET /b', bodyBytes: 0, complete: true },
    ]);
    expect(proxy.requests).toEqual(['PUT /a?x=1 HTTP/1.1', 'GET /b HTTP/1.1']);
    expect(proxy.connections).toBe(1);
  });

  it('answers an http-error fault itself: that request never reaches the server, the next one does', async () => {
    proxy.failNext(1, { type: 'http-error', status: 503, code: 'SlowDown' });
    const refused = await send('GET', '/x');
    expect(refused.status).toBe(503);
    expect(refused.text).toContain('<Code>SlowDown</Code>');
    expect(seen).toEqual([]);
    expect((await send('GET', '/y')).status).toBe(200);
    expect(seen.map((s) => s.line)).toEqual(['GET /y']);
  });

  it('cuts the answer after the given number of response bytes: never more reach the client', async () => {
    proxy.failNext(1, { type: 'reset', afterBytes: 1000 });
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('close', resolve));
    // A reset may overtake bytes still unread (the kernel then drops them), so at most, not exactly, 1000.
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(1000);
    expect(seen.map((s) => s.line)).toEqual(['GET /big']);
  });

  it('black-holes a connection: accepted, never answered, nothing reaches the server', async () => {
    proxy.failNext(1, { type: 'blackhole' });
    const socket = net.connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /void HTTP/1.1\r\nHost: x\r\n\r\n');
    const answered = await new Promise<boolean>((resolve) => {
      socket.once('data', () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    socket.destroy();
    expect(answered).toBe(false);
    expect(seen).toEqual([]);
  });

  it('cuts a matching request after exactly the given body bytes reached the server, and resets the client', async () => {
    proxy.failRequests(1, { match: /^PUT \/part\?n=2 /, cutBodyAfter: 300_000 });
    await send('PUT', '/part?n=1', Buffer.alloc(1_000_000, 1)); // does not match: passes whole
    const torn = nextFinished();
    const error = await send('PUT', '/part?n=2', Buffer.alloc(1_000_000, 2)).catch(
      (e: NodeJS.ErrnoException) => e,
    );
    expect(CLIENT_RESET).toContain((error as NodeJS.ErrnoException).code);
    expect(await torn).toEqual({ line: 'PUT /part?n=2', bodyBytes: 300_000, complete: false });
    expect(seen[0]).toEqual({ line: 'PUT /part?n=1', bodyBytes: 1_000_000, complete: true });
    expect(proxy.cuts).toEqual([{ requestLine: 'PUT /part?n=2 HTTP/1.1', bodyBytes: 300_000 }]);
    // Used up: the same request now goes through.
    expect((await send('PUT', '/part?n=2', Buffer.alloc(1_000_000, 2))).status).toBe(200);
  });

  it('passes a matching request whose body is not longer than the cut, keeping the fault for the next one', async () => {
    proxy.failRequests(1, { match: /^PUT /, cutBodyAfter: 2_000 });
    expect((await send('PUT', '/small', Buffer.alloc(2_000, 1))).status).toBe(200);
    const torn = nextFinished();
    const error = await send('PUT', '/large', Buffer.alloc(10_000, 1)).catch((e: unknown) => e);
    expect(CLIENT_RESET).toContain((error as NodeJS.ErrnoException).code);
    expect(await torn).toMatchObject({ line: 'PUT /large', bodyBytes: 2_000, complete: false });
  });

  it('cuts after zero body bytes: the server gets the head and nothing more', async () => {
    proxy.failRequests(1, { match: /^PUT /, cutBodyAfter: 0 });
    const torn = nextFinished();
    const error = await send('PUT', '/empty', Buffer.alloc(50_000, 1)).catch((e: unknown) => e);
    expect(CLIENT_RESET).toContain((error as NodeJS.ErrnoException).code);
    expect(await torn).toMatchObject({ line: 'PUT /empty', bodyBytes: 0, complete: false });
  });

  it('refuses connections while stopped and serves again on the same port after start', async () => {
    const port = proxy.port;
    await proxy.stop();
    await expect(send('GET', '/down')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.start();
    expect(proxy.port).toBe(port);
    expect((await send('GET', '/up')).status).toBe(200);
  });

  it('resets the next request on a poisoned pooled connection, and new connections work', async () => {
    expect((await send('GET', '/warm')).status).toBe(200);
    proxy.killOpenConnections();
    const error = await send('GET', '/dead').catch((e: unknown) => e);
    expect(CLIENT_RESET).toContain((error as NodeJS.ErrnoException).code);
    expect(seen.map((s) => s.line)).toEqual(['GET /warm']);
    expect((await send('GET', '/fresh')).status).toBe(200);
    expect(proxy.connections).toBe(2);
  });

  it('delays every forwarded chunk by latencyMs', async () => {
    proxy.latencyMs = 200;
    const started = performance.now();
    expect((await send('GET', '/slow')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });
});
