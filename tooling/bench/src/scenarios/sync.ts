import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { repoRoot } from '@monorepo/stack';
import { rgwAvailable, startRgw, startS3rver } from '@monorepo/dev-servers';
import type { S3TestServer } from '@monorepo/dev-servers';
import { compare, log } from '../harness.js';
import type { Comparison } from '../harness.js';

const run = promisify(execFile);
const which = (name: string) =>
  ['/usr/bin', '/usr/local/bin'].map((dir) => path.join(dir, name)).find((p) => existsSync(p));

/** 500 × 20 KB + 5 × 10 MB, as in the issue that set the target. */
async function makeTree(dir: string, small: number, large: number): Promise<void> {
  for (let i = 0; i < small; i++) {
    const sub = path.join(
      dir,
      'processed',
      'dall-e',
      `user-${i % 10}`,
      `job-${Math.floor(i / 10)}`,
    );
    await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, `normal-${i}.jpg`), randomBytes(20_000));
  }
  await mkdir(path.join(dir, 'generated'), { recursive: true });
  for (let i = 0; i < large; i++)
    await writeFile(path.join(dir, 'generated', `video-${i}.bin`), randomBytes(10_000_000));
}

/**
 * The floor for any tool built on the AWS SDK: the raw SDK putting every file (read whole, 16 at a time), in
 * this process (no start-up), with no listing, hashing or verification.
 */
async function rawSdkFloor(server: S3TestServer, bucket: string, dir: string): Promise<number> {
  const client = new S3Client({
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  const prefix = `raw-${randomUUID()}/`;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < files.length; i = next++) {
        const file = files[i]!;
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: prefix + path.relative(dir, file),
            Body: await readFile(file),
          }),
        );
      }
    }),
  );
  client.destroy();
  return (performance.now() - started) / 1000;
}

interface Tool {
  name: string;
  sync: (dir: string, prefix: string) => Promise<unknown>;
}

function tools(server: S3TestServer, bucket: string): Tool[] {
  const env = {
    ...process.env,
    AWS_CA_BUNDLE: '',
    S3_ENDPOINT: server.endpoint,
    S3_REGION: server.region,
    S3_ACCESS_KEY_ID: server.accessKeyId,
    S3_SECRET_ACCESS_KEY: server.secretAccessKey,
  };
  const cli = path.join(repoRoot(), 'packages', 'storage-cli', 'dist', 'bin.js');
  const list: Tool[] = [
    {
      name: 'storage sync',
      sync: (dir, prefix) =>
        run(process.execPath, [cli, 'sync', `local:${dir}`, `s3://${bucket}/${prefix}`, '-q'], {
          env,
        }),
    },
  ];
  const rclone = which('rclone');
  if (rclone)
    list.push({
      name: 'rclone sync',
      sync: (dir, prefix) =>
        run(
          rclone,
          [
            'sync',
            dir,
            `:s3:${bucket}/${prefix}`,
            '--s3-provider=Ceph',
            `--s3-endpoint=${server.endpoint}`,
            `--s3-access-key-id=${server.accessKeyId}`,
            `--s3-secret-access-key=${server.secretAccessKey}`,
            '--s3-force-path-style=true',
          ],
          { env },
        ),
    });
  const aws = which('aws');
  if (aws)
    list.push({
      name: 'aws s3 sync',
      sync: (dir, prefix) =>
        run(
          aws,
          [
            's3',
            'sync',
            dir,
            `s3://${bucket}/${prefix}`,
            '--endpoint-url',
            server.endpoint,
            '--only-show-errors',
          ],
          {
            env: {
              ...env,
              AWS_ACCESS_KEY_ID: server.accessKeyId,
              AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
              AWS_DEFAULT_REGION: server.region,
            },
          },
        ),
    });
  return list;
}

/**
 * `storage sync` against the tools people use for the same job, same data, same server, whole commands timed
 * (process start included): a first sync into an empty prefix, and a no-op re-sync. The ratio is ours / rclone
 * (runs per second); the aws CLI's medians are in the notes. Tools that are not installed are skipped with a note.
 */
export async function syncScenario(quick: boolean): Promise<Comparison[]> {
  const server = rgwAvailable()
    ? await startRgw({ buckets: ['bench'], storeBytes: 3 * 1024 ** 3 })
    : await startS3rver({ buckets: ['bench'] });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-sync-'));
  const results: Comparison[] = [];
  try {
    await makeTree(dir, quick ? 200 : 500, quick ? 2 : 5);
    const all = tools(server, 'bench');
    const ours = all[0]!;
    const rclone = all.find((tool) => tool.name === 'rclone sync');
    const aws = all.find((tool) => tool.name === 'aws s3 sync');
    if (!rclone) {
      log('  rclone is not installed (apt-get install rclone): sync comparison skipped');
      return results;
    }
    const rounds = quick ? 3 : 5;
    const seconds = async (fn: () => Promise<unknown>) => {
      const started = performance.now();
      await fn();
      return (performance.now() - started) / 1000;
    };
    const awsTimes = { first: [] as number[], again: [] as number[] };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
    // A fresh prefix per first sync; the re-sync reuses the prefix of the tool's last first sync.
    const last = new Map<string, string>();
    const first = (tool: Tool) => async () => {
      const prefix = `${tool.name.split(' ')[0]}-${randomUUID()}/`;
      last.set(tool.name, prefix);
      await tool.sync(dir, prefix);
    };
    const again = (tool: Tool) => () => tool.sync(dir, last.get(tool.name)!);
    const server_ = server.kind === 'rgw' ? 'radosgw' : server.kind;
    for (const [label, make] of [
      ['first sync', first],
      ['no-op re-sync', again],
    ] as const) {
      if (aws) {
        if (label === 'no-op re-sync' && !last.has(aws.name)) await first(aws)();
        for (let i = 0; i < rounds; i++)
          awsTimes[label === 'first sync' ? 'first' : 'again'].push(await seconds(make(aws)));
      }
      if (label === 'no-op re-sync') {
        if (!last.has(ours.name)) await first(ours)();
        if (!last.has(rclone.name)) await first(rclone)();
      }
      const comparison = await compare({
        scenario: 'sync',
        case: `${label}: ${quick ? 200 : 500} × 20 KB + ${quick ? 2 : 5} × 10 MB, local → ${server_} (vs rclone)`,
        unit: 'runs/s',
        rounds,
        target: 1,
        raw: make(rclone),
        ours: make(ours),
      });
      const times = awsTimes[label === 'first sync' ? 'first' : 'again'];
      const floor: Record<string, number> =
        label === 'first sync'
          ? {
              'raw SDK PUT loop s (floor)': Number(
                (await rawSdkFloor(server, 'bench', dir)).toFixed(2),
              ),
            }
          : {};
      comparison.notes = {
        'ours s': Number((1 / comparison.ours.median).toFixed(2)),
        'rclone s': Number((1 / comparison.raw.median).toFixed(2)),
        ...(aws ? { 'aws s3 sync s': Number(median(times).toFixed(2)) } : { aws: 'not installed' }),
        ...floor,
      };
      results.push(comparison);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.stop();
  }
  return results;
}
