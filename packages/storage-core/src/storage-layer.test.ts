import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bodyToBuffer, streamToBuffer } from './body.js';
import { Disk } from './disk.js';
import { NotFoundError, StorageUnavailableError } from './errors.js';
import { metricsLayer } from './metrics-layer.js';
import type { MetricLabels, Monitoring } from './monitoring.js';
import { retryLayer } from './retry-layer.js';
import type { ObjectInfo } from './storage-adapter.js';
import type { StorageDriver } from './storage-driver.js';
import { interceptDriver } from './storage-layer.js';
import type { StorageLayer } from './storage-layer.js';
import { timeoutLayer } from './timeout-layer.js';

/** A small in-memory driver: enough I/O for the layers to wrap. */
function memoryDriver(): StorageDriver & { objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  const info = (key: string): ObjectInfo => ({
    key,
    size: objects.get(key)!.length,
    contentType: 'application/octet-stream',
    etag: '"x"',
    lastModified: new Date(0),
    metadata: {},
  });
  const missing = (key: string) => new NotFoundError(`No ${key}`, { key, backend: 'memory' });
  return {
    objects,
    backend: 'memory',
    capabilities: {
      signedUrls: false,
      directUploads: false,
      directMultipart: false,
      publicReadPolicy: false,
      atomicOverwrite: true,
      modificationTime: false,
      keyPrefixConflicts: false,
      maxSegmentBytes: 1024,
    },
    async upload(key, body, _contentType, options) {
      let bytes = bodyToBuffer(body);
      if (!bytes) {
        const chunks: Buffer[] = [];
        for await (const chunk of body as AsyncIterable<Buffer>) {
          options.signal?.throwIfAborted();
          chunks.push(chunk);
        }
        bytes = Buffer.concat(chunks);
      }
      options.signal?.throwIfAborted();
      objects.set(key, bytes);
      return { size: bytes.length, etag: '"x"' };
    },
    async download(key) {
      const bytes = objects.get(key);
      if (!bytes) throw missing(key);
      return bytes;
    },
    async downloadStream(key) {
      return Readable.from([await this.download(key)]);
    },
    async exists(key) {
      return objects.has(key);
    },
    async delete(key) {
      objects.delete(key);
    },
    publicUrl: (key) => `http://memory/${key}`,
    async stat(key) {
      if (!objects.has(key)) throw missing(key);
      return info(key);
    },
    async list(prefix) {
      return {
        items: [...objects.keys()].filter((k) => k.startsWith(prefix)).map(info),
        more: false,
      };
    },
    async *listAll(prefix) {
      for (const key of objects.keys()) if (key.startsWith(prefix)) yield info(key);
    },
    async copy(from, to) {
      objects.set(to, await this.download(from));
    },
    async move(from, to) {
      objects.set(to, await this.download(from));
      objects.delete(from);
    },
    async deletePrefix() {
      return 0;
    },
    async setVisibility() {},
    async checkHealth() {},
    async sweepIncomplete() {
      return 0;
    },
    async provision() {
      return { created: false };
    },
  };
}

/** A layer that fails the next `times` calls of `method` with `error` (or stalls them when `error` is absent). */
function failing(
  operation: string,
  times: number,
  error?: Error,
): StorageLayer & { calls: number } {
  const layer = Object.assign(
    (inner: StorageDriver) =>
      interceptDriver(inner, (call, next) => {
        if (call.operation !== operation) return next();
        layer.calls++;
        if (layer.calls > times) return next();
        return error ? Promise.reject(error) : new Promise<never>(() => {});
      }),
    { calls: 0 },
  );
  return layer;
}

const unavailable = () => new StorageUnavailableError('backend down', { backend: 'memory' });

describe('retryLayer', () => {
  it('tries an idempotent call again on a retryable error, up to its attempts', async () => {
    const driver = memoryDriver();
    driver.objects.set('a/b', Buffer.from('hi'));
    const fault = failing('download', 2, unavailable());
    const disk = new Disk(driver, { layers: [fault, retryLayer({ attempts: 3, minDelayMs: 1 })] });
    expect((await disk.download('a/b')).toString()).toBe('hi');
    expect(fault.calls).toBe(3);
    const worse = failing('download', 5, unavailable());
    const giving = new Disk(driver, {
      layers: [worse, retryLayer({ attempts: 3, minDelayMs: 1 })],
    });
    await expect(giving.download('a/b')).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
    expect(worse.calls).toBe(3);
  });

  it('never retries what is not retryable, not idempotent, or a stream body', async () => {
    const driver = memoryDriver();
    driver.objects.set('a/b', Buffer.from('hi'));
    const cases: Array<[string, (disk: Disk) => Promise<unknown>, Error]> = [
      ['download', (disk) => disk.download('a/b'), new NotFoundError('gone')],
      ['download', (disk) => disk.download('a/b'), new TypeError('a bug')],
      ['move', (disk) => disk.move('a/b', 'a/c'), unavailable()],
      [
        'upload',
        (disk) => disk.upload('a/s', Readable.from([Buffer.from('x')]), 'text/plain'),
        unavailable(),
      ],
      [
        'upload',
        (disk) => disk.upload('a/n', 'x', 'text/plain', { ifNotExists: true }),
        unavailable(),
      ],
    ];
    for (const [operation, run, error] of cases) {
      const fault = failing(operation, 1, error);
      await expect(
        run(new Disk(driver, { layers: [fault, retryLayer({ minDelayMs: 1 })] })),
      ).rejects.toBeTruthy();
      expect(fault.calls, `${operation} after ${error.message}`).toBe(1);
    }
    // Bytes in memory are sent again.
    const fault = failing('upload', 1, unavailable());
    await new Disk(driver, { layers: [fault, retryLayer({ minDelayMs: 1 })] }).upload(
      'a/m',
      'x',
      'text/plain',
    );
    expect(fault.calls).toBe(2);
    expect(driver.objects.get('a/m')?.toString()).toBe('x');
  });

  it('waits a jittered, growing, bounded time between attempts and tells onRetry', async () => {
    const driver = memoryDriver();
    driver.objects.set('a/b', Buffer.from('hi'));
    const seen: number[] = [];
    const fault = failing('stat', 3, unavailable());
    const started = performance.now();
    await new Disk(driver, {
      layers: [
        fault,
        retryLayer({
          attempts: 4,
          minDelayMs: 40,
          maxDelayMs: 60,
          onRetry: (_call, _error, n) => seen.push(n),
        }),
      ],
    }).stat('a/b');
    expect(seen).toEqual([1, 2, 3]);
    // Waits below 40, 60 and 60 ms: never more than their bounds in all (plus scheduling).
    expect(performance.now() - started).toBeLessThan(160 + 200);
  });
});

describe('timeoutLayer', () => {
  it('fails a call that hangs with ETIMEDOUT, and retryLayer outside it tries again', async () => {
    const driver = memoryDriver();
    driver.objects.set('a/b', Buffer.from('hi'));
    const hang = failing('stat', 1);
    const disk = new Disk(driver, { layers: [hang, timeoutLayer({ timeoutMs: 50 })] });
    const started = performance.now();
    await expect(disk.stat('a/b')).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      name: 'StorageTimeoutError',
      operation: 'stat',
    });
    expect(performance.now() - started).toBeLessThan(1000);
    const again = failing('stat', 1);
    const retried = new Disk(driver, {
      layers: [again, timeoutLayer({ timeoutMs: 50 }), retryLayer({ minDelayMs: 1 })],
    });
    expect((await retried.stat('a/b')).size).toBe(2);
    expect(again.calls).toBe(2);
  });

  it('lets a slow but moving upload through, aborts one whose body stalls and stores nothing', async () => {
    const driver = memoryDriver();
    // The upload lasts longer than timeoutMs, its gaps (30 ms) stay far below ioTimeoutMs on a busy machine.
    const disk = new Disk(driver, { layers: [timeoutLayer({ timeoutMs: 60, ioTimeoutMs: 300 })] });
    const moving = new PassThrough();
    const done = disk.upload('a/slow', moving, 'text/plain');
    for (let i = 0; i < 5; i++) {
      moving.write(Buffer.from('x'));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    moving.end();
    await done;
    expect(driver.objects.get('a/slow')?.toString()).toBe('xxxxx');

    const stalled = new PassThrough();
    stalled.write('y');
    await expect(disk.upload('a/stalled', stalled, 'text/plain')).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
    stalled.end('z');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(driver.objects.has('a/stalled')).toBe(false);
  });

  it('fails a download stream whose source stalls, but not one whose reader is slow', async () => {
    const driver = memoryDriver();
    const source = new PassThrough();
    driver.downloadStream = async () => source;
    const disk = new Disk(driver, { layers: [timeoutLayer({ ioTimeoutMs: 50 })] });
    const slowReader = await disk.downloadStream('a/b');
    source.write(Buffer.alloc(10));
    source.end(Buffer.alloc(10));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await streamToBuffer(slowReader)).length).toBe(20);

    const stalling = new PassThrough();
    driver.downloadStream = async () => stalling;
    const stream = await disk.downloadStream('a/b');
    stalling.write(Buffer.alloc(10));
    await expect(streamToBuffer(stream)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(stalling.destroyed).toBe(true);
  });

  it('fails a listing that stalls between items', async () => {
    const driver = memoryDriver();
    driver.listAll = async function* () {
      yield {
        key: 'a/1',
        size: 0,
        contentType: '',
        etag: '',
        lastModified: new Date(0),
        metadata: {},
      };
      await new Promise(() => {});
    };
    const disk = new Disk(driver, { layers: [timeoutLayer({ ioTimeoutMs: 50 })] });
    const keys: string[] = [];
    await expect(
      (async () => {
        for await (const item of disk.listAll('a/')) keys.push(item.key);
      })(),
    ).rejects.toMatchObject({ code: 'ETIMEDOUT', operation: 'listAll' });
    expect(keys).toEqual(['a/1']);
  });
});

describe('metricsLayer', () => {
  class Recording implements Monitoring {
    readonly counts = new Map<string, number>();
    increment(name: string, labels: MetricLabels = {}, value = 1) {
      const id = `${name}${JSON.stringify(labels)}`;
      this.counts.set(id, (this.counts.get(id) ?? 0) + value);
    }
    timing() {}
    count(name: string, labels: MetricLabels) {
      return this.counts.get(`${name}${JSON.stringify(labels)}`) ?? 0;
    }
  }

  it('counts one operation per caller call outside retries, and refusals before any I/O', async () => {
    const driver = memoryDriver();
    driver.objects.set('a/b', Buffer.from('hi'));
    const monitoring = new Recording();
    const fault = failing('download', 1, unavailable());
    const disk = new Disk(driver, {
      layers: [fault, retryLayer({ minDelayMs: 1 }), metricsLayer(monitoring)],
    });
    await disk.download('a/b');
    await expect(disk.download('../x')).rejects.toMatchObject({ code: 'EINVAL' });
    const labels = { backend: 'memory', operation: 'download' };
    expect(monitoring.count('storage_operations_total', { ...labels, outcome: 'ok' })).toBe(1);
    expect(monitoring.count('storage_operations_total', { ...labels, outcome: 'error' })).toBe(1);
    expect(monitoring.count('storage_errors_total', { ...labels, code: 'EINVAL' })).toBe(1);
    expect(monitoring.count('storage_errors_total', { ...labels, code: 'EUNAVAILABLE' })).toBe(0);
    expect(monitoring.count('storage_bytes_total', labels)).toBe(2);
  });
});
