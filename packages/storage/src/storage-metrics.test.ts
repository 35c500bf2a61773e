import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { MockS3Client } from '@monorepo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageFactory, isStorageError } from './index.js';
import type { MetricLabels, Monitoring, StorageAdapter, StorageConfig } from './index.js';

/** A Monitoring that keeps what it is told, summed per name and label set. */
class RecordingMonitoring implements Monitoring {
  readonly counters = new Map<string, number>();
  readonly timings: Array<{ name: string; labels: MetricLabels }> = [];
  increment(name: string, labels: MetricLabels = {}, value = 1): void {
    const id = `${name}${JSON.stringify(labels)}`;
    this.counters.set(id, (this.counters.get(id) ?? 0) + value);
  }
  timing(name: string, _ms: number, labels: MetricLabels = {}): void {
    this.timings.push({ name, labels });
  }
  count(name: string, labels: MetricLabels): number {
    return this.counters.get(`${name}${JSON.stringify(labels)}`) ?? 0;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'storage-metrics-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const backends: Array<[string, () => StorageConfig, () => MockS3Client | undefined]> = [
  [
    'local',
    () => ({ type: 'local', baseUrl: 'http://cdn/static', localBasePath: dir }),
    () => undefined,
  ],
  [
    's3',
    () => ({ type: 's3', s3: { bucket: 'test-bucket', region: 'us-east-1' } }),
    () => new MockS3Client(),
  ],
];

describe.each(backends)('the front layer in front of %s', (backend, config, client) => {
  let monitoring: RecordingMonitoring;
  let storage: StorageAdapter;
  beforeAll(() => {
    monitoring = new RecordingMonitoring();
    const s3Client = client();
    storage = StorageFactory.createAdapter(config(), {
      monitoring,
      ...(s3Client ? { s3Client } : {}),
    });
  });

  it('counts operations, bytes and latency per backend and operation', async () => {
    await storage.upload('m/a.bin', Buffer.alloc(1000, 1), 'application/octet-stream');
    await storage.upload(
      'm/b.bin',
      Readable.from([Buffer.alloc(500, 2)]),
      'application/octet-stream',
    );
    expect((await storage.download('m/a.bin')).length).toBe(1000);
    for await (const chunk of (await storage.downloadStream('m/b.bin')) as AsyncIterable<Buffer>)
      expect(chunk.length).toBeGreaterThan(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      monitoring.count('storage_operations_total', { backend, operation: 'upload', outcome: 'ok' }),
    ).toBe(2);
    expect(monitoring.count('storage_bytes_total', { backend, operation: 'upload' })).toBe(1500);
    expect(monitoring.count('storage_bytes_total', { backend, operation: 'download' })).toBe(1000);
    expect(monitoring.count('storage_bytes_total', { backend, operation: 'downloadStream' })).toBe(
      500,
    );
    expect(
      monitoring.timings.filter(
        (t) => t.name === 'storage_operation_ms' && t.labels.operation === 'download',
      ),
    ).toHaveLength(1);
  });

  it('counts errors by code, validating before any I/O', async () => {
    await expect(storage.download('m/missing.bin')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(storage.upload('../escape', 'x', 'text/plain')).rejects.toMatchObject({
      code: 'EINVAL',
    });
    expect(
      monitoring.count('storage_errors_total', { backend, operation: 'download', code: 'ENOENT' }),
    ).toBe(1);
    expect(
      monitoring.count('storage_errors_total', { backend, operation: 'upload', code: 'EINVAL' }),
    ).toBe(1);
    expect(
      monitoring.count('storage_operations_total', {
        backend,
        operation: 'download',
        outcome: 'not_found',
      }),
    ).toBe(1);
    expect(await storage.exists('escape')).toBe(false);
  });

  it('turns anything a backend throws into a StorageError, counted by its code', async () => {
    let wrapped: StorageAdapter;
    if (backend === 'local') {
      // A file too large for one buffer (sparse, so it takes no space): Node's own read throws a RangeError
      // (ERR_FS_FILE_TOO_LARGE), not an fs error with an errno.
      await mkdir(path.join(dir, 'm'), { recursive: true });
      await writeFile(path.join(dir, 'm', 'huge.bin'), '');
      await truncate(path.join(dir, 'm', 'huge.bin'), 3 * 1024 ** 3);
      wrapped = storage;
    } else {
      const failing = client()!;
      failing.failNext('GetObject', { error: new TypeError('socket exploded') });
      wrapped = StorageFactory.createAdapter(config(), { s3Client: failing, monitoring });
    }
    const key = backend === 'local' ? 'm/huge.bin' : 'm/a.bin';
    const error = await wrapped.download(key).catch((e: unknown) => e);
    expect(isStorageError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'EIO', operation: 'download', backend });
    expect(
      monitoring.count('storage_errors_total', { backend, operation: 'download', code: 'EIO' }),
    ).toBe(1);
    await rm(path.join(dir, 'm', 'huge.bin'), { force: true });
  });

  it('passes the error of a failing body stream on unchanged (the caller’s, not the backend’s)', async () => {
    const broke = new Error('source broke');
    const body = new Readable({
      read() {
        this.destroy(broke);
      },
    });
    await expect(storage.upload('m/broken.bin', body, 'application/octet-stream')).rejects.toBe(
      broke,
    );
    expect(await storage.exists('m/broken.bin')).toBe(false);
  });
});
