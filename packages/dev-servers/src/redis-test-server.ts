import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './free-port.js';

/** A private redis-server for one test run. */
export interface RedisTestServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, or SIGKILL to simulate a crash); data stays for {@link start}. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory (AOF data reloads when enabled). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * Starts `redis-server` on a free loopback port with its own directory, set
 * up as BullMQ wants it (`maxmemory-policy noeviction`), optionally with AOF
 * (`appendfsync always`) so a restart keeps every acknowledged write. With
 * `dir`, data lives there (kept by `stop`, removed by `dispose`).
 */
export async function startRedis(
  options: { appendOnly?: boolean; bin?: string; dir?: string; port?: number } = {},
): Promise<RedisTestServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'redis-test-')));
  await mkdir(dir, { recursive: true });
  const bin = options.bin ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ];
    if (options.appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    else args.push('--appendonly', 'no');
    // Its own process group: a Ctrl-C in the terminal stops it only when its owner says so (after its clients).
    child = spawn(bin, args, { stdio: 'ignore', detached: true });
    const failed = new Promise<never>((_, reject) => child!.once('error', reject));
    await Promise.race([waitForPort(port), failed]);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill(signal);
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
