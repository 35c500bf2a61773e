import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { rgwAvailable, startRgw } from './rgw-test-server.js';
import type { S3TestServer } from './s3-test-server-handle.js';
import { bucketsOnSharedRgw, sharedRgw } from './shared-rgw.js';

function s3rverEntry(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, 's3rver-process.js'),
    path.join(here, '..', 'dist', 's3rver-process.js'),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error('s3rver-process.js not found: build @monorepo/test-utils first');
  return found;
}

/**
 * Starts the `s3rver` stand-in on a free loopback port in a child process
 * (it needs `--openssl-legacy-provider` for paginated listings), with the
 * given buckets. Its data lives in `directory` (kept), or in a temporary
 * directory removed on `stop`.
 */
export async function startS3rver(
  options: { buckets?: string[]; directory?: string } = {},
): Promise<S3TestServer> {
  const buckets = options.buckets ?? ['test-bucket'];
  const keep = options.directory !== undefined;
  const directory = options.directory ?? (await mkdtemp(path.join(os.tmpdir(), 's3rver-')));
  await mkdir(directory, { recursive: true });
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', s3rverEntry(), directory, buckets.join(',')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' },
      detached: true,
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited early (code ${code})`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    bucket: buckets[0]!,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    standIn: true,
    kind: 's3rver',
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      if (!keep) await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Fresh buckets of their own on the run's shared radosgw when `TEST_SHARED_RGW` names one (`make test`
 * starts it: see `with-shared-rgw-cli.ts`), else a fresh radosgw ({@link startRgw}) where Ceph is installed,
 * else the s3rver stand-in ({@link startS3rver}; `directory` applies only to it). Use `server.bucket`: on the
 * shared server, bucket names get a random suffix. Under CI (`CI=true`) there is no stand-in: a machine set up by `make setup`
 * has radosgw, so its absence is an error, not a quiet fallback to a server that checks less.
 *
 * @throws {Error} under CI when radosgw is not installed.
 */
export async function startS3Server(
  options: { buckets?: string[]; directory?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<S3TestServer> {
  const shared = sharedRgw(env);
  if (shared) return bucketsOnSharedRgw(shared, options.buckets);
  if (rgwAvailable()) return startRgw({ buckets: options.buckets });
  if (['true', '1'].includes((env.CI ?? '').toLowerCase()))
    throw new Error(
      'radosgw is not installed, and CI=true allows no fallback to the s3rver stand-in: run make setup (Debian: ceph-mon ceph-osd radosgw ceph-common)',
    );
  return startS3rver(options);
}

/**
 * The S3 server integration tests run against: the one named by
 * `S3_ENDPOINT` (+ `S3_BUCKET`, `S3_REGION`, `S3_ACCESS_KEY_ID`,
 * `S3_SECRET_ACCESS_KEY`), e.g. a real MinIO; else {@link startS3Server}
 * (radosgw, or the s3rver stand-in outside CI).
 */
export async function s3TestTarget(env: NodeJS.ProcessEnv = process.env): Promise<S3TestServer> {
  if (!env.S3_ENDPOINT) return startS3Server({}, env);
  return {
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION ?? 'us-east-1',
    bucket: env.S3_BUCKET ?? 'test-bucket',
    accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
    standIn: false,
    kind: 'external',
    stop: async () => {},
  };
}

/**
 * A `type: 's3'` storage config (the shape `S3StorageAdapter` and
 * `StorageFactory` take) for a test server, with `overrides` for the `s3` part.
 */
export function s3ConfigFor(server: S3TestServer, overrides: Record<string, unknown> = {}) {
  return {
    type: 's3' as const,
    s3: {
      bucket: server.bucket,
      region: server.region,
      endpoint: server.endpoint,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      ...overrides,
    },
  };
}
