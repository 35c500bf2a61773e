import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, openAsBlob } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { StorageApiClient } from '@monorepo/api-client';
import { rgwAvailable, startRgw } from '@monorepo/dev-servers';
import { startStack } from '@monorepo/stack';
import { compare, log } from '../harness.js';
import type { Comparison, Measurement } from '../harness.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const KEY = 'bench-mp-key-0123456789abcdefghijklm';
const IN_FLIGHT = 8;

const which = (name: string) =>
  ['/usr/bin', '/usr/local/bin'].map((dir) => path.join(dir, name)).find((p) => existsSync(p));

/** Random bytes written in 16 MiB steps: the file is never whole in memory. */
async function makeFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < size;) {
      const chunk = randomBytes(Math.min(16 * MiB, size - written));
      await handle.write(chunk);
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
}

/** The resident set of a process, from /proc/<pid>/status (bytes). */
async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib) * 1024;
}

/** Samples a process's RSS every 10 ms while `fn` runs: how far it rose above where it started (bytes). */
async function rssGrowth(pid: number, fn: () => Promise<unknown>): Promise<number> {
  const baseline = await rss(pid);
  let peak = baseline;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rss(pid));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    await fn();
  } finally {
    sampling = false;
    await sampler;
  }
  peak = Math.max(peak, await rss(pid));
  return peak - baseline;
}

/**
 * A large multipart upload through our platform (the API's multipart intents: the Node client of
 * `@monorepo/api-client` signs each part at the API and PUTs it straight to radosgw, 8 parts in flight, then
 * completes at the API) against `aws s3 cp` of the same file to the same bucket of the same radosgw, whole
 * command timed (process start included). Each side deletes its object when done (one request, timed).
 * The API process's RSS is sampled (/proc/<pid>/status VmRSS) during our uploads: the bytes never pass
 * through it, so it stays flat. The same upload on local storage is {@link localMultipartScenario}.
 */
export async function multipartScenario(
  quick: boolean,
): Promise<{ comparisons: Comparison[]; measurements: Measurement[] }> {
  const comparisons: Comparison[] = [];
  const measurements: Measurement[] = [];
  const aws = which('aws');
  if (!rgwAvailable() || !aws) {
    log(
      `  ${rgwAvailable() ? 'the aws CLI' : 'radosgw'} is not installed (make bench installs both): multipart skipped`,
    );
    return { comparisons, measurements };
  }
  const size = (quick ? 128 : 1024) * MiB;
  const label = quick ? '128 MiB' : '1 GiB';
  const rounds = 3;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-multipart-'));
  const file = path.join(dataDir, 'upload.bin');
  // Room for both sides' objects and what radosgw's garbage collector has not reclaimed yet.
  const server = await startRgw({
    buckets: ['bench'],
    storeBytes: Math.max(3, 4 * (size / 1024 ** 3)) * 1024 ** 3,
  });
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  const s3 = new S3Client({
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  try {
    await makeFile(file, size);
    stack = await startStack({
      dataDir,
      storageType: 's3',
      s3: {
        endpoint: server.endpoint,
        bucket: 'bench',
        region: server.region,
        accessKeyId: server.accessKeyId,
        secretAccessKey: server.secretAccessKey,
      },
      apiKeys: { [KEY]: 'bench' },
      // A benchmark of one key: its per-key limits are lifted.
      env: {
        LOG_LEVEL: 'warn',
        API_RATE_LIMIT: '100000000',
        API_QUOTA_BYTES: String(64 * 1024 ** 3),
      },
    });
    const apiPid = stack.api.pid!;
    const client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY });
    const blob = await openAsBlob(file);
    const growth: number[] = [];
    const ours = async () => {
      growth.push(
        await rssGrowth(apiPid, async () => {
          const stored = await client.uploadResumable(blob, {
            name: 'upload.bin',
            contentType: 'application/octet-stream',
            concurrency: IN_FLIGHT,
          });
          if (stored.size !== size) throw new Error(`stored ${stored.size} of ${size} bytes`);
          await client.deleteFile(stored.key);
        }),
      );
    };
    const env = {
      ...process.env,
      AWS_CA_BUNDLE: '',
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_DEFAULT_REGION: server.region,
    };
    const cli = (args: string[]) => run(aws, [...args, '--endpoint-url', server.endpoint], { env });
    const raw = async () => {
      const key = `aws-${randomUUID()}.bin`;
      await cli(['s3', 'cp', file, `s3://bench/${key}`, '--only-show-errors']);
      await s3.send(new DeleteObjectCommand({ Bucket: 'bench', Key: key }));
    };
    // What the CLI's own start costs (a listing of the empty bucket), to read its figure fairly.
    const startTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await cli(['s3', 'ls', 's3://bench/']);
      startTimes.push((performance.now() - started) / 1000);
    }
    const comparison = await compare({
      scenario: 'multipart',
      case: `${label} file, Node uploadResumable (${IN_FLIGHT} parts in flight) via the API's intents → radosgw (vs aws s3 cp)`,
      unit: 'MB/s',
      rounds,
      warmup: 1,
      unitsPerOp: size / 1e6,
      target: 0.9,
      raw,
      ours,
    });
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    comparison.notes = {
      'ours s': Number((size / 1e6 / comparison.ours.median).toFixed(2)),
      'aws s3 cp s': Number((size / 1e6 / comparison.raw.median).toFixed(2)),
      'aws start-up s (s3 ls)': Number(median(startTimes).toFixed(2)),
      'aws settings': 'defaults (10 requests in flight, 8 MiB parts)',
      'ours part size': '8 MiB',
    };
    comparisons.push(comparison);
    measurements.push({
      scenario: 'multipart',
      name: `API process RSS growth during a ${label} multipart upload (peak of ${growth.length} uploads)`,
      value: Math.max(...growth) / MiB,
      unit: 'MiB',
      limit: { value: 32, better: 'below' },
      notes: {
        'median growth MiB': Number((median(growth) / MiB).toFixed(1)),
        'sampled every': '10 ms, /proc/<pid>/status VmRSS',
        'file MiB': size / MiB,
      },
    });
  } finally {
    s3.destroy();
    await stack?.stop();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return { comparisons, measurements };
}

/**
 * Scenario `multipart-local` (`pnpm bench --only multipart-local`): the upload of {@link multipartScenario} on local
 * storage, where the parts go through the gateway to the API (which streams them into the staging area and
 * assembles them at completion), against the single-request path of the same stack. Through nginx → API:
 * `uploadResumable` (8 MiB parts, 8 in flight: each part streamed by the API
 * into the upload's staging directory and fsynced; completion streams the parts into one temp file, fsyncs it
 * and renames it) vs `uploadDirect` (one PUT of the whole file streamed to the staging key and fsynced; completion
 * renames it). Both announce, send and complete, and delete the file afterwards.
 */
export async function localMultipartScenario(quick: boolean): Promise<Comparison> {
  const size = (quick ? 128 : 1024) * MiB;
  const label = quick ? '128 MiB' : '1 GiB';
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-multipart-local-'));
  const file = path.join(dataDir, 'upload.bin');
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  try {
    await makeFile(file, size);
    stack = await startStack({
      dataDir,
      storageType: 'local',
      apiKeys: { [KEY]: 'bench' },
      maxUploadBytes: size + MiB,
      env: {
        LOG_LEVEL: 'warn',
        API_RATE_LIMIT: '100000000',
        API_QUOTA_BYTES: String(64 * 1024 ** 3),
      },
    });
    const client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY });
    const blob = await openAsBlob(file);
    const options = { name: 'upload.bin', contentType: 'application/octet-stream' };
    const check = async (stored: { key: string; size: number }) => {
      if (stored.size !== size) throw new Error(`stored ${stored.size} of ${size} bytes`);
      await client.deleteFile(stored.key);
    };
    return await compare({
      scenario: 'multipart-local',
      case: `${label} file on local storage: uploadResumable (${IN_FLIGHT} parts in flight) through the gateway (vs one PUT of the file through the gateway)`,
      unit: 'MB/s',
      rounds: 3,
      warmup: 1,
      unitsPerOp: size / 1e6,
      target: 0.9,
      raw: async () => check(await client.uploadDirect(blob, options)),
      ours: async () =>
        check(await client.uploadResumable(blob, { ...options, concurrency: IN_FLIGHT })),
      notes: {
        'ours part size': '8 MiB',
        both: 'announce, send, complete (fsync on); ours also assembles the parts into one file',
      },
    });
  } finally {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
