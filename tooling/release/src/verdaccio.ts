import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A private npm registry for one test run. */
export interface Registry {
  /** Base URL, ending in `/`. */
  url: string;
  /** A publish token of the registry's one user. */
  token: string;
  /** `.npmrc` lines that send `@monorepo/*` (and only them) to this registry, with the token. */
  npmrc: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'node_modules',
  '.bin',
  'verdaccio',
);

/**
 * Starts verdaccio on a free loopback port with its own storage and config in a temporary directory: only
 * `@monorepo/*` is stored there (publishing needs a login), nothing is proxied. Creates a user and returns
 * its token. `stop()` ends the process and removes the directory.
 */
export async function startVerdaccio(): Promise<Registry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'verdaccio-'));
  const port = await freePort();
  await writeFile(
    path.join(dir, 'config.yaml'),
    [
      `storage: ${path.join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${path.join(dir, 'htpasswd')}`,
      '    max_users: 1',
      'uplinks: {}',
      'packages:',
      "  '@monorepo/*':",
      '    access: $all',
      '    publish: $authenticated',
      'log: { type: stdout, format: json, level: warn }',
      '',
    ].join('\n'),
  );
  const child = spawn(
    BIN,
    ['--config', path.join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const deadline = Date.now() + 30_000; ;) {
      const up = await fetch(`${url}-/ping`).then(
        (res) => res.ok,
        () => false,
      );
      if (up) break;
      if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode})`);
      if (Date.now() > deadline) throw new Error('verdaccio did not start within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const res = await fetch(`${url}-/user/org.couchdb.user:release`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'release', password: `pw-${Math.random()}` }),
    });
    const { token } = (await res.json()) as { token?: string };
    if (!token) throw new Error(`verdaccio refused the release user (${res.status})`);
    const host = url.replace(/^http:/, '');
    return {
      url,
      token,
      npmrc: `@monorepo:registry=${url}\n${host}:_authToken=${token}\n`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
