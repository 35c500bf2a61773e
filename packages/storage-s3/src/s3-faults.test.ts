import { Readable } from 'node:stream';
import { pseudoRandomBytes, sha256 } from '@monorepo/test-utils';
import { FaultProxy } from '@monorepo/dev-servers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3StorageAdapter } from './s3-storage-adapter.js';
import { useS3Target } from './test-target.js';

const target = useS3Target();

describe('S3 adapter through a faulty network: succeed after retries or fail cleanly, never half-written', () => {
  let proxy: FaultProxy;
  let direct: S3StorageAdapter;
  let prefix: string;
  beforeEach(async () => {
    proxy = await new FaultProxy({ port: Number(new URL(target.server().endpoint).port) }).start();
    const config = target.config();
    prefix = config.s3.prefix!;
    direct = new S3StorageAdapter(config);
  });
  afterEach(async () => {
    await proxy.stop();
  });
  const viaProxy = (extra = {}) =>
    new S3StorageAdapter(
      target.config({
        endpoint: proxy.url,
        prefix,
        maxAttempts: 4,
        socketTimeoutMs: 1000,
        ...extra,
      }),
    );

  it('uploads and reads correctly with 150 ms of added latency per chunk', async () => {
    proxy.latencyMs = 150;
    const storage = viaProxy({ socketTimeoutMs: 5000 });
    const bytes = pseudoRandomBytes(600_000, 4);
    await storage.upload('slow/a.bin', bytes, 'application/octet-stream');
    expect(sha256(await storage.download('slow/a.bin'))).toBe(sha256(bytes));
  });

  it('never returns a truncated body when the connection resets mid-download', async () => {
    const bytes = pseudoRandomBytes(2_000_000, 5);
    await direct.upload('reset/a.bin', bytes, 'application/octet-stream');
    const storage = viaProxy({ maxAttempts: 1 });
    proxy.failNext(1, { type: 'reset', afterBytes: 300_000 });
    const error = await storage.download('reset/a.bin').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EUNAVAILABLE' });
    // With retries the same read succeeds in full.
    proxy.failNext(1, { type: 'reset', afterBytes: 100 });
    expect(sha256(await viaProxy().download('reset/a.bin'))).toBe(sha256(bytes));
  });

  it('leaves the old object whole when an overwrite dies mid-upload, and no multipart upload behind', async () => {
    const old = pseudoRandomBytes(100_000, 6);
    await direct.upload('torn/a.bin', old, 'application/octet-stream');
    const storage = viaProxy({ maxAttempts: 1 });
    proxy.failNext(20, { type: 'reset', afterBytes: 0 });
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 3; i++) yield pseudoRandomBytes(4 * 1024 * 1024, 10 + i);
      })(),
    );
    await expect(
      storage.upload('torn/a.bin', body, 'application/octet-stream'),
    ).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
    expect(sha256(await direct.download('torn/a.bin'))).toBe(sha256(old));
  });

  it('fails within the budget while the server is down and works again once it is back', async () => {
    await proxy.stop();
    const storage = viaProxy({ maxAttempts: 3, connectionTimeoutMs: 300 });
    const started = Date.now();
    await expect(storage.upload('outage/a.txt', 'x', 'text/plain')).rejects.toMatchObject({
      code: 'EUNAVAILABLE',
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await direct.exists('outage/a.txt')).toBe(false);
    await proxy.start();
    await storage.upload('outage/a.txt', 'after restart', 'text/plain');
    expect((await direct.download('outage/a.txt')).toString()).toBe('after restart');
  });
});
