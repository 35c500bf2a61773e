import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StorageApiClient } from '@monorepo/api-client';
import { ImageProcessor, ImageTool, configureSharp } from '@monorepo/image-processor';
import { startStack } from '@monorepo/stack';
import type { Stack, StackOptions } from '@monorepo/stack';
import { LocalStorageAdapter } from '@monorepo/storage';
import { photoJpeg } from '@monorepo/test-utils/images';
import type { Measurement } from '../harness.js';
import { log, ONE_KEY_BENCH_ENV } from '../harness.js';

const KEY = 'bench-scaled-key-0123456789abcdefghij';
/** The small image set every job round uses, the same for 1, 2 and 3 workers and for the direct rate. */
const SIZES: Array<[number, number]> = [
  [800, 600],
  [960, 720],
  [1024, 768],
  [640, 480],
];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const range = (values: number[]) =>
  `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

interface Running {
  stack: Stack;
  client: StorageApiClient;
  sources: string[];
  dataDir: string;
}

async function start(images: Buffer[], options: StackOptions): Promise<Running> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-scaled-'));
  const stack = await startStack({
    dataDir,
    apiKeys: { [KEY]: 'bench' },
    ...options,
    env: { ...ONE_KEY_BENCH_ENV },
  });
  const client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY });
  const sources: string[] = [];
  for (const [i, image] of images.entries())
    sources.push(
      (await client.uploadFile(image, { name: `small-${i}.jpg`, contentType: 'image/jpeg' })).key,
    );
  return { stack, client, sources, dataDir };
}

async function stop(running: Running | undefined): Promise<void> {
  if (!running) return;
  await running.stack.stop();
  await rm(running.dataDir, { recursive: true, force: true });
}

/** `jobs` jobs over the image set, all submitted at once, each waited for: jobs per second. */
async function jobRound({ client, sources }: Running, jobs: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: jobs }, async (_, i) => {
      const { jobId } = await client.submitImageJob({
        tool: 'dall-e',
        sourceKey: sources[i % sources.length]!,
      });
      const status = await client.waitForImageJob(jobId, { pollMs: 250, timeoutMs: 600_000 });
      if (status.status !== 'completed') throw new Error(`job ${jobId} ${status.status}`);
    }),
  );
  return jobs / ((performance.now() - started) / 1000);
}

/** `count` uploads of `body` through nginx, `inFlight` at a time: uploads per second. */
async function uploadRound(
  { client }: Running,
  body: Buffer,
  count: number,
  inFlight: number,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const n = next++;
        await client.uploadFile(body, { name: `u${n}.jpg`, contentType: 'image/jpeg' });
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/**
 * Scenario `scaled`: the stack with several processes. Jobs per second with 1, 2 and 3 worker processes on one
 * small image set, and the queue's overhead per job against processImage run directly on the same set; uploads
 * per second through nginx with one API and with two; jobs per second with Redis under Sentinel (two replicas, the
 * API's `WAIT 1` before each 202) against one plain Redis. Stacks measured against each other run their rounds
 * alternately, so drift on a shared machine hits both.
 */
export async function scaledScenario(quick: boolean): Promise<Measurement[]> {
  configureSharp();
  const images = await Promise.all(SIZES.map(([w, h]) => photoJpeg(w, h)));
  const rounds = quick ? 2 : 3;
  const jobs = quick ? 12 : 24;
  const uploads = quick ? 100 : 300;
  const cores = os.availableParallelism();
  const measurements: Measurement[] = [];

  // processImage directly on the same set, as many at once as one worker runs (WORKER_CONCURRENCY = cores).
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-scaled-direct-'));
  const direct: number[] = [];
  try {
    const storage = new LocalStorageAdapter({
      type: 'local',
      baseUrl: 'http://x',
      localBasePath: root,
    });
    for (const [i, image] of images.entries())
      await storage.upload(`uploads/u/small-${i}.jpg`, image, 'image/jpeg');
    const processor = new ImageProcessor(storage);
    let id = 0;
    for (let round = 0; round <= rounds; round++) {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: cores }, async () => {
          while (next < jobs) {
            const n = next++;
            await processor.processImage({
              id: `direct-${id++}`,
              tool: ImageTool.DALL_E,
              userId: 'u',
              sourceKey: `uploads/u/small-${n % images.length}.jpg`,
            });
          }
        }),
      );
      // The first round warms up.
      if (round > 0) direct.push(jobs / ((performance.now() - started) / 1000));
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }

  let plain: Running | undefined;
  let sentinel: Running | undefined;
  let oneApi: Running | undefined;
  try {
    plain = await start(images, { apis: 2, workers: 1 });
    sentinel = await start(images, {
      apis: 1,
      workers: 1,
      redisMode: 'sentinel',
      redisReplicas: 2,
    });
    oneApi = await start(images, { apis: 1, workers: 0 });
    await jobRound(plain, 4);
    await jobRound(sentinel, 4);

    // Sentinel vs plain Redis, one worker each, alternately.
    const onPlain: number[] = [];
    const onSentinel: number[] = [];
    for (let round = 0; round < rounds; round++) {
      log(`  scaled: jobs on plain Redis / Sentinel, round ${round + 1}/${rounds}`);
      onPlain.push(await jobRound(plain, jobs));
      onSentinel.push(await jobRound(sentinel, jobs));
    }
    measurements.push({
      scenario: 'scaled',
      name: 'queue overhead on Sentinel (2 replicas, WAIT 1) vs plain Redis',
      value: (1 - median(onSentinel) / median(onPlain)) * 100,
      unit: '%',
      limit: { value: 5, better: 'below' },
      notes: {
        'plain jobs/s': Number(median(onPlain).toFixed(2)),
        'Sentinel jobs/s': Number(median(onSentinel).toFixed(2)),
        'plain range': range(onPlain),
        'Sentinel range': range(onSentinel),
      },
    });
    await stop(sentinel);
    sentinel = undefined;

    // Uploads through nginx: one API vs two, alternately.
    const body = images[0]!;
    const withOne: number[] = [];
    const withTwo: number[] = [];
    await uploadRound(oneApi, body, 20, 8);
    await uploadRound(plain, body, 20, 8);
    for (let round = 0; round < rounds; round++) {
      log(`  scaled: uploads with APIS=1 / APIS=2, round ${round + 1}/${rounds}`);
      withOne.push(await uploadRound(oneApi, body, uploads, 8));
      withTwo.push(await uploadRound(plain, body, uploads, 8));
    }
    for (const [apis, rates] of [
      [1, withOne],
      [2, withTwo],
    ] as const)
      measurements.push({
        scenario: 'scaled',
        name: `uploads (${Math.round(body.length / 1024)} KB, 8 in flight) through nginx, APIS=${apis}`,
        value: median(rates),
        unit: 'uploads/s',
        notes: { range: range(rates), cores },
      });
    measurements.push({
      scenario: 'scaled',
      name: 'uploads/s from APIS=1 to APIS=2',
      value: median(withTwo) / median(withOne),
      unit: '×',
      notes: { cores },
    });
    await stop(oneApi);
    oneApi = undefined;

    // Jobs with 1, 2 and 3 worker processes on the same set.
    const rates: Record<number, number[]> = { 1: onPlain };
    for (const workers of [2, 3]) {
      while (plain.stack.workers.filter((w) => w.running).length < workers)
        await plain.stack.startWorker();
      await jobRound(plain, 4);
      rates[workers] = [];
      for (let round = 0; round < rounds; round++) {
        log(`  scaled: jobs with WORKERS=${workers}, round ${round + 1}/${rounds}`);
        rates[workers]!.push(await jobRound(plain, jobs));
      }
    }
    for (const workers of [1, 2, 3])
      measurements.push({
        scenario: 'scaled',
        name: `${jobs} jobs on ${images.length} small JPEGs (640–1024 px), WORKERS=${workers}`,
        value: median(rates[workers]!),
        unit: 'jobs/s',
        notes: { range: range(rates[workers]!), cores },
      });
    const perJob = 1000 / median(rates[1]!) - 1000 / median(direct);
    measurements.push({
      scenario: 'scaled',
      name: 'queue overhead per job (WORKERS=1 vs processImage direct, same set)',
      value: perJob,
      unit: 'ms',
      notes: {
        'direct images/s': Number(median(direct).toFixed(2)),
        'e2e jobs/s': Number(median(rates[1]!).toFixed(2)),
        '% of a job': Number(((perJob / (1000 / median(rates[1]!))) * 100).toFixed(1)),
      },
    });
  } finally {
    await stop(sentinel);
    await stop(oneApi);
    await stop(plain);
  }
  return measurements;
}
