import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { API_ENV_VARS } from '@monorepo/api/config';
import { STORAGE_ENV_VARS } from '@monorepo/storage';
import { WORKER_ENV_VARS } from '@monorepo/worker/config';
import { describe, expect, it } from 'vitest';
import { DOCKER_NGINX_FILES, renderDockerNginxConfigs } from './docker-nginx-configs.js';
import { repoRoot } from './repo-root.js';

const run = promisify(execFile);
const root = repoRoot();
const dockerDir = path.join(root, 'docker');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const COMPOSE = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) =>
  existsSync(p),
);

describe('deployment configuration (validated statically: no Docker engine here)', () => {
  it('lists every variable the api and worker read in docker/.env.example', () => {
    const example = readFileSync(path.join(dockerDir, '.env.example'), 'utf8');
    const listed = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const needed = [...new Set([...API_ENV_VARS, ...WORKER_ENV_VARS, ...STORAGE_ENV_VARS])];
    expect(needed.filter((name) => !listed.has(name))).toEqual([]);
    expect(needed.length).toBeGreaterThan(20);
  });

  it('keeps the committed compose nginx configs in step with the template', () => {
    const rendered = renderDockerNginxConfigs();
    for (const [name, file] of Object.entries(DOCKER_NGINX_FILES)) {
      const committed = readFileSync(path.join(root, file), 'utf8').split('\n').slice(1).join('\n');
      expect(committed, `${file} is stale: run make nginx-configs`).toBe(
        rendered[name as keyof typeof rendered],
      );
    }
  });

  it('passes nginx -t for both compose configs', async () => {
    expect(NGINX, 'nginx must be installed (make setup)').toBeDefined();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nginx-t-'));
    try {
      for (const file of Object.values(DOCKER_NGINX_FILES)) {
        // Container host names and paths do not exist here: point them at this machine, keep everything else.
        const conf = readFileSync(path.join(root, file), 'utf8')
          .replaceAll('api:3000', '127.0.0.1:3000')
          .replaceAll('minio:9000', '127.0.0.1:9000')
          .replaceAll('/var/cache/nginx', dir)
          .replaceAll('/dev/stderr', path.join(dir, 'error.log'))
          .replaceAll('/dev/stdout', path.join(dir, 'access.log'))
          .replace('user nginx;', '');
        const target = path.join(dir, path.basename(file));
        await writeFile(target, conf);
        const result = await run(NGINX!, [
          '-t',
          '-q',
          '-c',
          target,
          '-p',
          dir,
          '-e',
          path.join(dir, 'error.log'),
        ]).then(
          () => 'ok',
          (error: { stderr?: string }) => error.stderr ?? String(error),
        );
        expect(result, file).toBe('ok');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes docker-compose config for the local and the s3 stacks', async () => {
    expect(COMPOSE, 'docker-compose must be installed (make setup)').toBeDefined();
    const base = [
      '--env-file',
      path.join(dockerDir, '.env.example'),
      '-f',
      path.join(dockerDir, 'docker-compose.yml'),
    ];
    const env = { ...process.env, AWS_CA_BUNDLE: '' };
    const local = await run(COMPOSE!, [...base, 'config'], { env });
    // MinIO only starts with the s3 profile; the default stack is nginx, redis, api and worker on local volumes.
    expect(local.stdout).toMatch(/minio:\n(?:.*\n)*?\s+profiles:\n\s+- s3/);
    expect(local.stdout).toContain('/var/www/storage/processed');
    expect(local.stdout).toContain('rendered/local.conf');
    const s3 = await run(
      COMPOSE!,
      [...base, '-f', path.join(dockerDir, 'docker-compose.s3.yml'), '--profile', 's3', 'config'],
      { env },
    );
    expect(s3.stdout).toContain('minio-init');
    expect(s3.stdout).toContain('./nginx/rendered/s3.conf'.replace('./', '')); // nginx proxies the bucket
    expect(s3.stdout).toMatch(/STORAGE_TYPE: s3/);
    const scaled = await run(COMPOSE!, [...base, 'config'], { env });
    expect(scaled.stdout).not.toContain('container_name'); // workers can be scaled with --scale worker=N
  });
});
