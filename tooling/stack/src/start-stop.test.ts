import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@monorepo/dev-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './repo-root.js';

const root = repoRoot();

/**
 * `make start` as an operator runs it: the banner, `.data/storage.env` that `pnpm storage` and the make
 * storage-* targets read, and Ctrl-C (SIGINT to the terminal's process group) stopping the worker before its
 * Redis, with the worker saying so.
 */
describe('make start: storage targets right after it, and an ordered Ctrl-C', () => {
  let dataDir: string;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('writes storage.env for the storage CLI and stops in order on Ctrl-C', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-stop-'));
    const ports = {
      API_PORT: String(await freePort()),
      CDN_PORT: String(await freePort()),
      WORKER_HTTP_PORT: String(await freePort()),
    };
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(STORAGE_|S3_)/.test(name)),
    );
    // Its own process group, as a terminal's foreground job is: Ctrl-C signals the whole group.
    const start = spawn(process.execPath, [path.join(root, 'tooling/stack/dist/start-cli.js')], {
      cwd: root,
      env: { ...env, ...ports, DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    start.stdout.on('data', (d) => (output += d));
    start.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => start.once('exit', resolve));
    try {
      await expect
        .poll(() => output, { timeout: 120_000, interval: 250 })
        .toContain('Ctrl-C stops everything');
      expect(output).toContain(`Storage           ${path.join(dataDir, 'storage')}`);

      const envFile = await readFile(path.join(dataDir, 'storage.env'), 'utf8');
      expect(envFile).toContain('STORAGE_TYPE="local"');
      expect(envFile).toContain(
        `STORAGE_LOCAL_PATH=${JSON.stringify(path.join(dataDir, 'storage'))}`,
      );
      // `pnpm storage …` (and `make storage-usage`, which runs the same script) with no other configuration.
      const usage = spawnSync(process.execPath, ['tooling/scripts/storage.mjs', 'usage'], {
        cwd: root,
        env: { ...env, DATA_DIR: dataDir },
        encoding: 'utf8',
      });
      expect(usage.stderr).toBe('');
      expect(usage.status).toBe(0);
      expect(usage.stdout).toContain('Total: 0 objects');

      process.kill(-start.pid!, 'SIGINT');
      expect(await exited).toBe(0);
      expect(output).toContain('Stopped.');
    } finally {
      if (start.exitCode === null) process.kill(-start.pid!, 'SIGKILL');
    }
    const logs = path.join(dataDir, 'logs');
    const workerLog = (
      await Promise.all(
        (await readdir(logs))
          .filter((name) => name.startsWith('worker'))
          .map((name) => readFile(path.join(logs, name), 'utf8')),
      )
    ).join('\n');
    // The terminal's Ctrl-C reached only `make start`: the worker was stopped by it (SIGTERM, before Redis),
    // not interrupted alongside everything else.
    expect(workerLog).toMatch(/"signal":"SIGTERM"[^\n]*shutting down/);
    expect(workerLog).not.toContain('"signal":"SIGINT"');
    expect(workerLog).toContain('worker stopped');
    expect(workerLog).not.toContain('ECONNREFUSED');
  }, 180_000);
});
