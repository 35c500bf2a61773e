import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitForPort } from './free-port.js';

const run = promisify(execFile);

/** One redis-server (or sentinel) process on a loopback port, which can be killed and started again. */
export interface RedisNode {
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Whether the process runs. */
  readonly running: boolean;
  /** Stops it (SIGTERM, or SIGKILL to simulate a crash); its directory and config stay. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port, directory and config file. */
  start(): Promise<void>;
}

/** The redis-server binary (`REDIS_SERVER_BIN` or `redis-server` on PATH). */
export function redisServerBin(bin?: string): string {
  return bin ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
}

/**
 * Writes `config` (redis.conf lines) to `<dir>/redis.conf` and runs `redis-server` on it (`--sentinel` for a
 * sentinel, which rewrites that file as Sentinel does).
 */
export async function startRedisNode(options: {
  port: number;
  dir: string;
  config: string[];
  sentinel?: boolean;
  bin?: string;
}): Promise<RedisNode> {
  await mkdir(options.dir, { recursive: true });
  const file = path.join(options.dir, 'redis.conf');
  await writeFile(
    file,
    [`port ${options.port}`, 'bind 127.0.0.1', `dir ${options.dir}`, ...options.config].join('\n') +
      '\n',
  );
  let child: ChildProcess | undefined;
  const node: RedisNode = {
    port: options.port,
    address: `127.0.0.1:${options.port}`,
    get running() {
      return child !== undefined && child.exitCode === null;
    },
    async start() {
      const args = options.sentinel ? [file, '--sentinel'] : [file];
      child = spawn(redisServerBin(options.bin), args, { stdio: 'ignore' });
      const failed = new Promise<never>((_, reject) => child!.once('error', reject));
      await Promise.race([waitForPort(options.port), failed]);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const current = child;
      child = undefined;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise((resolve) => current.once('exit', resolve));
      current.kill(signal);
      await exited;
    },
  };
  await node.start();
  return node;
}

/** Runs `redis-cli -p <port> <args>` and returns its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 30_000,
  });
  return stdout;
}

/** Polls `check` every 100 ms until it returns true, or throws `message` after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  message: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${message} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
