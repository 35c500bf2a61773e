import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StorageApiClient } from '@monorepo/api-client';
import { startStack } from '@monorepo/stack';
import type { Measurement } from '../harness.js';
import { ONE_KEY_BENCH_ENV } from '../harness.js';
import { photoJpeg } from '@monorepo/test-utils/images';

const KEY = 'bench-key-0123456789abcdefghijklmn';

/** Scenario 5: N jobs through nginx → API → Redis → worker(s) → storage, variants fetched through nginx. */
export async function endToEndScenario(
  quick: boolean,
  directRate: Record<number, number>,
): Promise<Measurement[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-e2e-'));
  const stack = await startStack({
    dataDir,
    apiKeys: { [KEY]: 'bench' },
    env: { ...ONE_KEY_BENCH_ENV },
  });
  const client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY });
  const measurements: Measurement[] = [];
  try {
    const image = await photoJpeg();
    const { key } = await client.uploadFile(image, {
      name: 'photo.jpg',
      contentType: 'image/jpeg',
    });
    const jobs = quick ? 8 : 24;
    const rates: Record<number, number> = {};
    for (const workers of [1, 2]) {
      while (stack.workers.filter((w) => w.running).length < workers) await stack.startWorker();
      const started = performance.now();
      const latencies = await Promise.all(
        Array.from({ length: jobs }, async () => {
          const submitted = performance.now();
          const { jobId } = await client.submitImageJob({ tool: 'dall-e', sourceKey: key });
          // A realistic client poll (250 ms), not a CPU hog.
          const status = await client.waitForImageJob(jobId, { pollMs: 250, timeoutMs: 600_000 });
          if (status.status === 'failed' || !status.result) throw new Error(`job ${jobId} failed`);
          const done = performance.now() - submitted;
          for (const variant of status.result.variants) {
            const got = await fetch(variant.url);
            if ((await got.arrayBuffer()).byteLength !== variant.bytes)
              throw new Error('variant not served');
          }
          return done;
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      rates[workers] = jobs / seconds;
      const pct = (q: number) =>
        Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
      measurements.push({
        scenario: 'end-to-end',
        name: `${jobs} jobs, ${workers} worker process(es): throughput`,
        value: rates[workers]!,
        unit: 'jobs/s',
        notes: { 'p50 ms': pct(0.5), 'p95 ms': pct(0.95) },
      });
    }
    // Each worker runs WORKER_CONCURRENCY = cores jobs at once; compare with the direct rate at the same concurrency.
    const cores = os.availableParallelism();
    const direct = directRate[Math.min(cores, 2)] ?? directRate[1]!;
    measurements.push({
      scenario: 'end-to-end',
      name: 'queue overhead vs direct processImage (1 worker)',
      value: (1 - rates[1]! / direct) * 100,
      unit: '%',
      limit: { value: 15, better: 'below' },
      notes: {
        'direct images/s': Number(direct.toFixed(2)),
        'e2e jobs/s': Number(rates[1]!.toFixed(2)),
      },
    });
    measurements.push({
      scenario: 'end-to-end',
      name: 'scaling from 1 to 2 worker processes',
      value: rates[2]! / rates[1]!,
      unit: '×',
      notes: { cores },
    });
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return measurements;
}
