import { spawn } from 'node:child_process';
import net from 'node:net';

/** A loopback port whose TCP handshake never completes. */
export interface UnansweredPort {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Closes the sockets that fill the queue and ends the listener's process. */
  stop(): Promise<void>;
}

// Listens with an accept queue of two and then blocks its event loop for good, so it never accepts.
const LISTENER = `
const server = require('node:net').createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n', () =>
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
});`;

/** Whether a connect to `port` completes within `ms` (the socket is kept open either way, in `held`). */
function connects(port: number, ms: number, held: net.Socket[]): Promise<boolean> {
  const socket = net.connect(port, '127.0.0.1');
  held.push(socket);
  socket.on('error', () => {});
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * A port that never answers a SYN, for testing connect timeouts: a listener (in a child process that never
 * calls `accept`) whose accept queue is filled here. Linux then drops every further SYN, whatever
 * `tcp_syncookies` says (cookies only stand in for a full SYN queue, not a full accept queue), so a client's
 * connect hangs, retransmitting, until its own timeout. Needs no privileges.
 *
 * @throws when the queue does not fill (the kernel kept completing handshakes).
 */
export async function startUnansweredPort(): Promise<UnansweredPort> {
  const child = spawn(process.execPath, ['-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const held: net.Socket[] = [];
  const stop = async () => {
    for (const socket of held) socket.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (line: Buffer) => resolve(Number(String(line).trim())));
      child.once('exit', (code) => reject(new Error(`listener exited early (code ${code})`)));
    });
    // The queue holds backlog + 1 connections; allow a few more for kernels that round up.
    for (let i = 0; i < 8; i++) {
      if (!(await connects(port, 300, held)))
        return { port, url: `http://127.0.0.1:${port}`, stop };
    }
    throw new Error(`the accept queue of port ${port} never filled: handshakes keep completing`);
  } catch (error) {
    await stop();
    throw error;
  }
}
