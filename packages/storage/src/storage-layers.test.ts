import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { MockS3Client, describeStorageAdapterContract } from '@monorepo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalStorageAdapter,
  StorageFactory,
  StorageUnavailableError,
  interceptDriver,
  standardLayers,
} from './index.js';
import type { MetricLabels, Monitoring, StorageConfig, StorageLayer } from './index.js';

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

/** A failing fake around a real driver: the next `times` calls of `operation` fail, or hang without `error`. */
function failing(
  operation: string,
  times: number,
  error?: Error,
): StorageLayer & { calls: number } {
  const layer = Object.assign(
    (inner: Parameters<StorageLayer>[0]) =>
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

const s3Config = (layers: StorageConfig['layers'] = {}): StorageConfig => ({
  type: 's3',
  s3: { bucket: 'test-bucket', region: 'us-east-1' },
  layers,
});

// The whole contract, with the factory's standard layers on (deadlines, local retries, metrics).
describeStorageAdapterContract('local behind the standard layers', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'storage-layers-contract-'));
  return {
    adapter: StorageFactory.createAdapter(
      { type: 'local', baseUrl: 'http://test/static', localBasePath: dir },
      { monitoring: new Recording() },
    ),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describeStorageAdapterContract('s3 on MockS3Client behind the standard layers, retrying', () => ({
  adapter: StorageFactory.createAdapter(s3Config({ retryAttempts: 2, timeoutMs: 30_000 }), {
    s3Client: new MockS3Client(),
    monitoring: new Recording(),
  }),
}));

describe('layers around the local backend (a failing fake inside them)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'storage-layers-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const config = () => ({ type: 'local' as const, baseUrl: 'http://x', localBasePath: dir });

  it('retries an outage of an idempotent call and counts the retry', async () => {
    const monitoring = new Recording();
    const fault = failing('stat', 2, new StorageUnavailableError('NFS server not responding'));
    const storage = new LocalStorageAdapter(config(), {
      layers: [fault, ...standardLayers('local', {}, monitoring)],
    });
    await storage.upload('r/a.txt', 'hello', 'text/plain');
    expect((await storage.stat('r/a.txt')).size).toBe(5);
    expect(fault.calls).toBe(3);
    expect(
      monitoring.count('storage_retries_total', {
        backend: 'local',
        operation: 'stat',
        code: 'EUNAVAILABLE',
      }),
    ).toBe(2);
    expect(
      monitoring.count('storage_operations_total', {
        backend: 'local',
        operation: 'stat',
        outcome: 'ok',
      }),
    ).toBe(1);
  });

  it('times out a hung call with ETIMEDOUT and retries it within its attempts', async () => {
    const hang = failing('exists', 1);
    // Long enough for the real call that follows on a busy machine (at 50 ms a loaded run timed it out too).
    const storage = new LocalStorageAdapter(config(), {
      layers: [hang, ...standardLayers('local', { timeoutMs: 500 })],
    });
    expect(await storage.exists('r/none.txt')).toBe(false);
    expect(hang.calls).toBe(2);
    const stuck = failing('exists', 5);
    const failingStorage = new LocalStorageAdapter(config(), {
      layers: [stuck, ...standardLayers('local', { timeoutMs: 50, retryAttempts: 1 })],
    });
    await expect(failingStorage.exists('r/none.txt')).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('aborts an upload whose body stalls: nothing stored, no temporary file left', async () => {
    const storage = StorageFactory.createAdapter({ ...config(), layers: { ioTimeoutMs: 100 } });
    await storage.upload('t/keep.txt', 'old', 'text/plain');
    const body = new PassThrough();
    body.write('new content, then nothing');
    await expect(storage.upload('t/keep.txt', body, 'text/plain')).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      operation: 'upload',
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await storage.download('t/keep.txt')).toString()).toBe('old');
    expect(await readdir(path.join(dir, 't'))).toEqual(['keep.txt']);
  });
});

describe('layers around the S3 backend (MockS3Client faults)', () => {
  it('leaves S3 retries to the SDK by default, and retries throttling when asked to', async () => {
    const slowDown = { name: 'SlowDown', status: 503 };
    const client = new MockS3Client();
    const once = StorageFactory.createAdapter(s3Config(), { s3Client: client });
    await once.upload('s/a.txt', 'x', 'text/plain');
    client.failNext('GetObject', { error: slowDown });
    await expect(once.download('s/a.txt')).rejects.toMatchObject({ code: 'EUNAVAILABLE' });

    const retrying = StorageFactory.createAdapter(s3Config({ retryAttempts: 3 }), {
      s3Client: client,
    });
    client.failNext('GetObject', { error: slowDown, times: 2 });
    const before = client.callCount('GetObject');
    expect((await retrying.download('s/a.txt')).toString()).toBe('x');
    expect(client.callCount('GetObject') - before).toBe(3);
    // A stream body is consumed: never sent twice.
    client.failNext('PutObject', { error: slowDown });
    const body = new PassThrough();
    body.end('streamed');
    await expect(
      retrying.upload('s/b.txt', body, 'text/plain', { contentLength: 8 }),
    ).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
  });

  it('turns a request that hangs into ETIMEDOUT within the deadline', async () => {
    const client = new MockS3Client();
    const storage = StorageFactory.createAdapter(s3Config({ timeoutMs: 100 }), {
      s3Client: client,
    });
    await storage.upload('s/a.txt', 'x', 'text/plain');
    client.failNext('HeadObject', { delayMs: 5_000 });
    const started = performance.now();
    await expect(storage.stat('s/a.txt')).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      operation: 'stat',
    });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
