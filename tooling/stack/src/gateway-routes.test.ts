import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@monorepo/dev-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedProcess, waitForHttp } from './managed-process.js';
import { renderNginxConfig, renderSigningInclude } from './render-nginx-config.js';
import { repoRoot } from './repo-root.js';
import { nginxUserDirective } from './stack.js';

/** A request sent with its path exactly as written (fetch would normalise it first). */
function rawStatus(port: number, requestPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: requestPath }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

// The gateway on its own, in front of an upstream that answers 200 to anything: whatever the API would do, nginx
// itself forwards only the public routes (the API's own refusal is checked by the tenancy suites).
describe('the gateway forwards only the public API routes (real nginx, catch-all upstream)', () => {
  let dir: string;
  let nginx: ManagedProcess;
  let upstream: http.Server;
  let port: number;
  const forwarded: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-routes-'));
    const storage = path.join(dir, 'storage');
    await mkdir(storage);
    upstream = http.createServer((req, res) => {
      forwarded.push(req.url!);
      res.end('upstream');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    port = await freePort();
    const include = path.join(dir, 'cdn-signing.conf');
    await writeFile(include, renderSigningInclude([{ id: 'k1', secret: 's'.repeat(40) }]));
    const consoleRoot = path.join(repoRoot(), 'docker', 'console');
    const conf = path.join(dir, 'nginx.conf');
    await writeFile(
      conf,
      renderNginxConfig({
        cdnPort: port,
        apiUpstream: `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        origin: { type: 'local', root: storage },
        runtimeDir: dir,
        maxUploadBytes: 1024,
        userDirective: await nginxUserDirective(storage, consoleRoot),
        signingInclude: include,
        console: { root: consoleRoot },
      }),
    );
    const bin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p))!;
    nginx = new ManagedProcess(
      'nginx',
      bin,
      ['-c', conf, '-p', dir, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'],
      {
        env: { PATH: process.env.PATH },
        logFile: path.join(dir, 'nginx.log'),
      },
    );
    await waitForHttp(`http://127.0.0.1:${port}/nginx-health`, 15_000, nginx);
  }, 30_000);
  afterAll(async () => {
    await nginx?.stop();
    upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses every spelling of the internal endpoints and forwards the public routes', async () => {
    const refused = [
      '/api/metrics',
      '/api/metrics/',
      '/api/Metrics',
      '/api/METRICS',
      '/api/readyz',
      '/api/readyz/',
      '/api/openapi.json',
      '/api/openapi.json/',
      '/api/OpenAPI.json',
      '/api//metrics',
      '/api/./metrics',
      '/api/v1/../metrics',
      '/api/v1/%2e%2e/metrics',
      '/api/v1/%2E%2E/readyz',
      '/api/%6detrics',
      '/api/%4Detrics',
      '/api/metrics%2F',
      '/api/internal/x',
      '/api/V1/files',
      '/api/healthz/',
      '/api/HEALTHZ',
      '/api/',
    ];
    const statuses = Object.fromEntries(
      await Promise.all(refused.map(async (p) => [p, await rawStatus(port, p)] as const)),
    );
    expect(Object.entries(statuses).filter(([, status]) => status !== 404)).toEqual([]);
    expect(forwarded).toEqual([]);
    for (const p of ['/api/v1/files', '/api/v1/uploads/x/complete', '/api/healthz'])
      expect(await rawStatus(port, p), p).toBe(200);
    expect(forwarded).toEqual(['/v1/files', '/v1/uploads/x/complete', '/healthz']);
  });
});
