import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rgwAvailable, s3ConfigFor, startRgw, startS3rver } from '@monorepo/dev-servers';
import type { Measurement } from '../harness.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Runs in a fresh process: streams SIZE bytes in and back out through one adapter, reports the RSS once the
// adapter is loaded and has made a connection (the baseline: Node and the SDK) and the peak.
const CHILD = `
import { Readable } from 'node:stream';
import { StorageFactory } from '@monorepo/storage';
const [configJson, sizeText] = process.argv.slice(1);
const storage = StorageFactory.createAdapter(JSON.parse(configJson));
const size = Number(sizeText);
await storage.checkHealth();
const baseline = process.memoryUsage.rss();
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
const chunk = Buffer.alloc(1024 * 1024, 7);
let sent = 0;
const started = performance.now();
await storage.upload('stream/big.bin', new Readable({ read() { if (sent >= size) this.push(null); else { sent += chunk.length; this.push(chunk); } } }), 'application/octet-stream');
const uploaded = performance.now();
let bytes = 0;
for await (const part of await storage.downloadStream('stream/big.bin')) bytes += part.length;
clearInterval(sample);
peak = Math.max(peak, process.memoryUsage.rss());
console.log(JSON.stringify({ baseline, peak, bytes, uploadMs: uploaded - started, downloadMs: performance.now() - uploaded }));
`;

async function measure(
  config: object,
  size: number,
): Promise<{
  baseline: number;
  peak: number;
  bytes: number;
  uploadMs: number;
  downloadMs: number;
}> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', CHILD, JSON.stringify(config), String(size)],
    {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`streaming child exited ${String(code)}`);
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

/**
 * Scenario 2: a large stream through local upload/downloadStream and S3 multipart: how far the process's RSS
 * rises above its baseline (streaming keeps that to the part buffers and stream high-water marks; buffering
 * would add the whole size). The baseline itself is Node's and the SDK's, and differs between Node lines.
 */
export async function streamingMemoryScenario(quick: boolean): Promise<Measurement[]> {
  const size = (quick ? 256 : 1024) * 1024 * 1024;
  const label = quick ? '256 MiB' : '1 GiB';
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-stream-'));
  const s3 = rgwAvailable()
    ? await startRgw({ buckets: ['bench'], storeBytes: 3 * 1024 ** 3 })
    : await startS3rver({ buckets: ['bench'] });
  const results: Measurement[] = [];
  try {
    for (const [name, config] of [
      ['local', { type: 'local', baseUrl: 'http://x', localBasePath: root }],
      ['s3 multipart', s3ConfigFor(s3)],
    ] as const) {
      const r = await measure(config, size);
      if (r.bytes !== size) throw new Error(`${name}: streamed ${r.bytes} of ${size} bytes`);
      results.push({
        scenario: 'streaming-memory',
        name: `${label} through ${name}: peak RSS above baseline`,
        value: (r.peak - r.baseline) / 1024 / 1024,
        unit: 'MB',
        limit: { value: 100, better: 'below' },
        notes: {
          'baseline MB': Math.round(r.baseline / 1024 / 1024),
          'peak MB': Math.round(r.peak / 1024 / 1024),
          'upload MB/s': Math.round(size / 1e6 / (r.uploadMs / 1000)),
          'download MB/s': Math.round(size / 1e6 / (r.downloadMs / 1000)),
        },
      });
    }
  } finally {
    await s3.stop();
    await rm(root, { recursive: true, force: true });
  }
  return results;
}
