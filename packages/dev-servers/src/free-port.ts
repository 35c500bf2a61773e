import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * The lowest port the kernel hands out to outgoing connections (Linux: net.ipv4.ip_local_port_range). A port
 * chosen by `listen(0)` comes from that same range, so a busy machine's outgoing connections can take it between
 * the moment it was found free and the moment a server (nginx, Redis, radosgw) binds it: choose below it instead.
 */
function ephemeralFloor(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/);
    const value = Number(low);
    if (value > 12_000) return value;
  } catch {
    // Not Linux: the IANA range starts at 49152.
  }
  return 49_152;
}

const floor = ephemeralFloor();
const handedOut = new Set<number>();

async function bindable(port: number): Promise<boolean> {
  const server = net.createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    // Every address (a server bound to 0.0.0.0 or to 127.0.0.1 alike conflicts).
    server.listen({ port, exclusive: true }, () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => server.close(() => resolve()));
  return ok;
}

/**
 * A TCP port that was free a moment ago, outside the range the kernel gives outgoing connections (so only
 * another server, not a client, can take it before it is bound), and never the same twice in one process.
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (floor - low));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free TCP port found between ${low} and ${floor}`);
}

/** Resolves once something accepts TCP connections on `port`, or rejects after `timeoutMs`. */
export async function waitForPort(
  port: number,
  timeoutMs = 10_000,
  host = '127.0.0.1',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
