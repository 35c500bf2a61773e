import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStorageAdapter, S3StorageAdapter } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import { pseudoRandomBytes, sha256 } from '@monorepo/test-utils';
import { s3ConfigFor, s3TestTarget } from '@monorepo/dev-servers';
import type { S3TestServer } from '@monorepo/dev-servers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backupToFile, restoreFromFile } from './backup.js';
import { cleanOlderThan } from './clean.js';
import { syncStorage } from './sync.js';
import { computeUsage } from './usage.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
let server: S3TestServer;
let work: string;

beforeAll(async () => {
  server = await s3TestTarget();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'storage-cli-'));
  return () => rm(work, { recursive: true, force: true });
});

const s3Env = () => ({
  S3_ENDPOINT: server.endpoint,
  S3_REGION: server.region,
  S3_ACCESS_KEY_ID: server.accessKeyId,
  S3_SECRET_ACCESS_KEY: server.secretAccessKey,
});
const local = (dir: string) =>
  new LocalStorageAdapter({
    type: 'local',
    baseUrl: 'http://x',
    localBasePath: path.join(work, dir),
  });
const s3 = (prefix: string) => new S3StorageAdapter(s3ConfigFor(server, { prefix }));

/** A small tree of objects shaped like the real layout. */
async function seed(
  storage: StorageAdapter,
  count = 12,
): Promise<Map<string, { hash: string; type: string }>> {
  const expected = new Map<string, { hash: string; type: string }>();
  const types = ['image/jpeg', 'image/webp', 'text/plain; charset=utf-8', 'application/x-custom'];
  for (let i = 0; i < count; i++) {
    const key = [
      `uploads/user-${i % 2}/${i}/file ${i}.bin`,
      `processed/dall-e/user-${i % 3}/job-${i}/normal-${i}.jpg`,
      `generated/sora/u/j${i}/original.png`,
    ][i % 3]!;
    const bytes = pseudoRandomBytes(1000 + i * 5000, i + 1);
    const type = types[i % types.length]!;
    await storage.upload(key, bytes, type, { metadata: { job: `j${i}` } });
    expected.set(key, { hash: sha256(bytes), type });
  }
  return expected;
}

async function snapshot(
  storage: StorageAdapter,
): Promise<Map<string, { hash: string; type: string }>> {
  const out = new Map<string, { hash: string; type: string }>();
  for await (const item of storage.listAll('')) {
    out.set(item.key, {
      hash: sha256(await storage.download(item.key)),
      type: (await storage.stat(item.key)).contentType,
    });
  }
  return out;
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      cwd: work,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('storage sync', () => {
  it('round-trips local -> s3 -> local byte-identical with content types; a second run copies nothing', async () => {
    const source = local('a');
    const expected = await seed(source);
    const bucket = s3(`cli-${randomUUID()}/`);
    const first = await syncStorage(source, bucket);
    expect(first).toMatchObject({ scanned: 12, copied: 12, skipped: 0, failed: [] });
    const back = local('b');
    expect(await syncStorage(bucket, back)).toMatchObject({ copied: 12, failed: [] });
    expect(await snapshot(back)).toEqual(expected);
    expect(await snapshot(bucket)).toEqual(expected);
    expect(await syncStorage(source, bucket)).toMatchObject({ copied: 0, skipped: 12 });
    expect(await syncStorage(bucket, back)).toMatchObject({ copied: 0, skipped: 12 });
  });

  it('a copy damaged on the way is refused by the target (its MD5 checked on arrival): failed, never stored', async () => {
    const source = local('a');
    await source.upload('processed/t/u/j/a.jpg', pseudoRandomBytes(20_000, 1), 'image/jpeg');
    await source.upload('processed/t/u/j/b.jpg', pseudoRandomBytes(3_000_000, 2), 'image/jpeg');
    for (const target of [s3(`cli-${randomUUID()}/`), local('b')]) {
      // Flips one byte of every body on its way into the target, as a faulty network or disk would.
      const damaging = new Proxy(target, {
        get(object, name) {
          const value = Reflect.get(object, name) as unknown;
          if (name !== 'upload')
            return typeof value === 'function' ? (value as () => unknown).bind(object) : value;
          return (key: string, body: Buffer, ...rest: [string, object]) => {
            const copy = Buffer.from(body);
            copy[copy.length >> 1]! ^= 0xff;
            return object.upload(key, copy, ...rest);
          };
        },
      });
      const summary = await syncStorage(source, damaging);
      expect(summary).toMatchObject({ scanned: 2, copied: 0, copiedBytes: 0 });
      expect(summary.failed.map((f) => f.key).sort()).toEqual([
        'processed/t/u/j/a.jpg',
        'processed/t/u/j/b.jpg',
      ]);
      expect(summary.failed[0]!.error).toMatch(/contentMd5/);
      expect(await snapshot(target)).toEqual(new Map());
      expect(await syncStorage(source, target)).toMatchObject({ copied: 2, failed: [] });
      expect(await snapshot(target)).toEqual(await snapshot(source));
    }
  });

  it('copies again what changed, deletes extras with --delete, and changes nothing on --dry-run', async () => {
    const source = local('a');
    await seed(source, 6);
    const target = local('b');
    await syncStorage(source, target);
    await source.upload('uploads/user-0/0/file 0.bin', 'changed', 'text/plain');
    await target.upload('stray/extra.txt', 'x', 'text/plain');
    const before = await snapshot(target);
    const plan = await syncStorage(source, target, { dryRun: true, delete: true });
    expect(plan).toMatchObject({ dryRun: true, copied: 1, deleted: 1, skipped: 5 });
    expect(await snapshot(target)).toEqual(before);
    expect(await syncStorage(source, target, { delete: true })).toMatchObject({
      copied: 1,
      deleted: 1,
    });
    expect(await snapshot(target)).toEqual(await snapshot(source));
  });

  it('completes correctly when re-run after being killed half-way', async () => {
    const source = local('a');
    const objects = 60;
    for (let i = 0; i < objects; i++)
      await source.upload(
        `bulk/${String(i).padStart(3, '0')}.bin`,
        pseudoRandomBytes(200_000, i),
        'application/octet-stream',
      );
    const prefix = `killed-${randomUUID()}/`;
    const child = spawn(
      process.execPath,
      [
        CLI,
        'sync',
        `local:${path.join(work, 'a')}`,
        `s3://${server.bucket}/${prefix}`,
        '--concurrency',
        '1',
        '--quiet',
      ],
      {
        env: { ...process.env, ...s3Env() },
      },
    );
    const target = s3(prefix);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      if ((await target.list('', { limit: 1000 })).items.length >= 10) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const partial = (await target.list('')).items.length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(objects);
    const rerun = await run(
      ['sync', `local:${path.join(work, 'a')}`, `s3://${server.bucket}/${prefix}`, '--quiet'],
      s3Env(),
    );
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(new RegExp(`copied ${objects - partial} object`));
    expect(await snapshot(target)).toEqual(await snapshot(source));
  });
});

describe('storage clean, usage, backup/restore', () => {
  it('clean removes only objects older than the cutoff', async () => {
    const storage = local('c');
    await seed(storage, 6);
    const old = new Date(Date.now() - 40 * 86_400_000);
    const oldKeys = ['uploads/user-0/0/file 0.bin', 'processed/dall-e/user-1/job-1/normal-1.jpg'];
    for (const key of oldKeys) await utimes(path.join(work, 'c', key), old, old);
    const dry = await run([
      'clean',
      '--older-than',
      '30d',
      '--dry-run',
      '--storage',
      `local:${path.join(work, 'c')}`,
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would delete 2');
    expect((await snapshot(storage)).size).toBe(6);
    const result = await cleanOlderThan(storage, new Date(Date.now() - 30 * 86_400_000));
    expect(result).toMatchObject({ matched: 2, deleted: 2 });
    const left = [...(await snapshot(storage)).keys()];
    expect(left).toHaveLength(4);
    for (const key of oldKeys) expect(left).not.toContain(key);
  });

  it('usage counts objects and bytes per folder and per tool', async () => {
    const storage = local('u');
    await seed(storage, 6);
    const report = await computeUsage(storage);
    expect(report.total.objects).toBe(6);
    expect(Object.keys(report.byPrefix).sort()).toEqual(['generated', 'processed', 'uploads']);
    expect(report.byTool).toMatchObject({ 'dall-e': { objects: 2 }, sora: { objects: 2 } });
    const cli = await run(['usage', '--json', '--storage', `local:${path.join(work, 'u')}`]);
    expect(JSON.parse(cli.stdout)).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('backup then restore into an empty backend is identical (metadata included)', async () => {
    const source = local('src');
    await seed(source, 9);
    const file = path.join(work, 'backup.tar.gz');
    expect(await backupToFile(source, file)).toMatchObject({ objects: 9 });
    const target = s3(`restore-${randomUUID()}/`);
    expect(await restoreFromFile(target, file)).toMatchObject({ objects: 9 });
    expect(await snapshot(target)).toEqual(await snapshot(source));
    const key = 'uploads/user-0/0/file 0.bin';
    expect((await target.stat(key)).metadata).toEqual({ job: 'j0' });
    expect((await readdir(work)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('exits 2 on bad arguments or configuration and 3 when a backend is unreachable, with clear messages', async () => {
    expect((await run(['sync', 'local:/tmp/x'])).code).toBe(2);
    expect((await run(['clean', '--older-than', 'soon'])).code).toBe(2);
    const unknown = await run(['usage', '--storage', 'ftp://nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown backend');
    const down = await run(['usage', '--storage', 's3://bucket'], {
      S3_ENDPOINT: 'http://127.0.0.1:9',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 'hunter2-secret',
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('unavailable');
    expect(down.stderr).not.toContain('hunter2-secret');
  });

  it('exits 2 naming the variables when no S3 credential is found, without asking instance metadata', async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^AWS_(?!CA_BUNDLE)|^S3_/.test(name)),
    );
    const started = Date.now();
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'usage', '--storage', 's3://bucket'], {
        env: {
          ...env,
          HOME: work,
          AWS_EC2_METADATA_DISABLED: 'true',
          S3_ENDPOINT: server.endpoint,
        },
        cwd: work,
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).toContain(
      'No S3 credentials: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY',
    );
    expect(result.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('fails on a missing local source, naming it, and never creates it (sync, usage, backup, clean)', async () => {
    const typo = path.join(work, 'typo', 'path');
    const target = path.join(work, 'target');
    const commands = [
      ['sync', `local:${typo}`, `local:${target}`],
      ['usage', '--storage', `local:${typo}`],
      ['backup', path.join(work, 'b.tar.gz'), '--storage', `local:${typo}`],
      ['clean', '--older-than', '1d', '--storage', `local:${typo}`],
    ];
    for (const args of commands) {
      const result = await run(args);
      expect(result.code, args[0]).toBe(2);
      expect(result.stderr, args[0]).toContain(`${typo} does not exist`);
      expect(result.stdout, args[0]).not.toContain('copied');
    }
    expect((await readdir(work)).sort()).toEqual([]); // no typo/, no target/, no partial backup
  });

  it('init --cors-origin adds to the origins already allowed; --replace replaces them', async (ctx) => {
    if (server.kind === 's3rver') return ctx.skip(); // the stand-in answers no CORS preflight
    const bucket = `cors-${randomUUID()}`;
    const preflight = async (origin: string) => {
      const res = await fetch(`${server.endpoint}/${bucket}/uploads/x`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' },
      });
      await res.arrayBuffer();
      return res.headers.get('access-control-allow-origin') === origin;
    };
    const init = (...args: string[]) =>
      run(['init', '--storage', `s3://${bucket}`, '--cors-origin', ...args], s3Env());
    expect((await init('https://a.example')).code).toBe(0);
    expect((await init('https://b.example')).code).toBe(0);
    expect([await preflight('https://a.example'), await preflight('https://b.example')]).toEqual([
      true,
      true,
    ]);
    expect((await init('https://c.example', '--replace')).code).toBe(0);
    expect([
      await preflight('https://a.example'),
      await preflight('https://b.example'),
      await preflight('https://c.example'),
    ]).toEqual([false, false, true]);
  });

  it('init creates the bucket and makes only public objects (job outputs by default) anonymously readable, checked', async (ctx) => {
    if (server.kind === 's3rver') return ctx.skip(); // the stand-in enforces no policy
    const bucket = `init-${randomUUID()}`;
    const result = await run(['init', '--storage', `s3://${bucket}`], s3Env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`created bucket ${bucket}`);
    expect(result.stdout).toContain(
      'processed/ 200, generated/ 200, uploads/ 403, processed/ (private) 403, uploads/ (public) 200',
    );
    const storage = new S3StorageAdapter(s3ConfigFor({ ...server, bucket }));
    await storage.upload('uploads/u/secret.txt', 'secret', 'text/plain');
    await storage.upload('processed/t/u/j/out.txt', 'out', 'text/plain');
    expect((await fetch(storage.getOriginUrl('uploads/u/secret.txt'))).status).toBe(403);
    expect(await (await fetch(storage.getOriginUrl('processed/t/u/j/out.txt'))).text()).toBe('out');
    expect((await fetch(`${server.endpoint}/${bucket}?list-type=2`)).status).toBe(403); // no anonymous listing
    // Visibility is per object and changes at once at the bucket.
    await storage.setVisibility('processed/t/u/j/out.txt', 'private');
    expect((await fetch(storage.getOriginUrl('processed/t/u/j/out.txt'))).status).toBe(403);
    await storage.setVisibility('uploads/u/secret.txt', 'public');
    expect(await (await fetch(storage.getOriginUrl('uploads/u/secret.txt'))).text()).toBe('secret');
    expect((await run(['init', '--storage', `s3://${bucket}`], s3Env())).stdout).toContain(
      `found bucket ${bucket}`,
    );
    await storage.deletePrefix('uploads/');
    await storage.deletePrefix('processed/');
  });

  it('clean --incomplete removes leftovers of interrupted writes and never an object', async () => {
    const dir = path.join(work, 'leftovers');
    const storage = local('leftovers');
    await storage.upload('uploads/u/kept.txt', 'kept', 'text/plain');
    const temp = path.join(dir, 'uploads', 'u', `.~tmp\\${randomUUID().replaceAll('-', '')}`);
    await writeFile(temp, 'partial');
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(temp, hourAgo, hourAgo);
    const fresh = path.join(dir, 'uploads', 'u', `.~tmp\\${randomUUID().replaceAll('-', '')}`);
    await writeFile(fresh, 'still being written');
    const result = await run(['clean', '--incomplete', '--storage', `local:${dir}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('removed 1 leftover(s)');
    expect((await readdir(path.join(dir, 'uploads', 'u'))).sort()).toEqual(
      [path.basename(fresh), 'kept.txt'].sort(),
    );
    expect((await run(['clean', '--storage', `local:${dir}`])).code).toBe(2); // needs --older-than
  });
});
