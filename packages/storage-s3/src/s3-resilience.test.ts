import { pseudoRandomBytes, sha256 } from '@monorepo/test-utils';
import { FaultProxy, startUnansweredPort } from '@monorepo/dev-servers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3StorageAdapter } from './s3-storage-adapter.js';
import { S3_REQUEST_PATHS, useS3Target } from '../test/test-target.js';

const target = useS3Target();

/** The messages of an error and of every cause below it, one per line. */
function causes(error: unknown): string {
  const messages: string[] = [];
  for (let e = error as Error | undefined; e; e = e.cause as Error | undefined)
    messages.push(e.message);
  return messages.join('\n');
}

describe.each(S3_REQUEST_PATHS)(
  'S3 adapter against network faults (%s, real HTTP)',
  (_, directRequests) => {
    let proxy: FaultProxy;
    beforeEach(async () => {
      proxy = await new FaultProxy({
        port: Number(new URL(target.server().endpoint).port),
      }).start();
    });
    afterEach(async () => {
      await proxy.stop();
    });
    const viaProxy = (extra = {}) =>
      new S3StorageAdapter(target.config({ endpoint: proxy.url, directRequests, ...extra }));

    it('waits between retries as the SDK does, and at least as long as Retry-After asks', async () => {
      const storage = viaProxy({ maxAttempts: 4 });
      proxy.failNext(2, {
        type: 'http-error',
        status: 503,
        code: 'SlowDown',
        retryAfterSeconds: 1,
      });
      await storage.upload(
        'retry/after.bin',
        pseudoRandomBytes(10_000, 3),
        'application/octet-stream',
      );
      const [first, second, third] = proxy.acceptedAt;
      expect(proxy.acceptedAt.length).toBeGreaterThanOrEqual(3);
      // Retry-After: 1 (a hint the SDK caps at its own delay + 5 s), measured between the attempts.
      for (const gap of [second! - first!, third! - second!]) {
        expect(gap).toBeGreaterThan(900);
        expect(gap).toBeLessThan(7_000);
      }
    });

    it('retries a run of 503 SlowDown and succeeds', async () => {
      const storage = viaProxy({ maxAttempts: 4 });
      const bytes = pseudoRandomBytes(100_000, 1);
      proxy.failNext(2, { type: 'http-error', status: 503, code: 'SlowDown' });
      await storage.upload('retry/a.bin', bytes, 'application/octet-stream');
      expect(proxy.connections).toBeGreaterThanOrEqual(3);
      proxy.failNext(2, { type: 'http-error', status: 503, code: 'SlowDown' });
      expect(sha256(await storage.download('retry/a.bin'))).toBe(sha256(bytes));
    });

    it('gives up after maxAttempts with EUNAVAILABLE', async () => {
      const storage = viaProxy({ maxAttempts: 2 });
      proxy.failNext(5, { type: 'http-error', status: 503, code: 'SlowDown' });
      await expect(storage.upload('retry/b.bin', 'x', 'text/plain')).rejects.toMatchObject({
        code: 'EUNAVAILABLE',
      });
    });

    it('retries a connection reset mid-response', async () => {
      const storage = viaProxy({ maxAttempts: 3 });
      await storage.upload('retry/c.bin', 'stored', 'text/plain');
      proxy.failNext(1, { type: 'reset', afterBytes: 10 });
      expect((await storage.stat('retry/c.bin')).size).toBe(6);
    });

    it('fails within the budget when the endpoint is down', async () => {
      await proxy.stop();
      const storage = viaProxy({ maxAttempts: 3, connectionTimeoutMs: 500 });
      const started = Date.now();
      await expect(storage.exists('down/a')).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('fails within the budget when the endpoint accepts but never answers', async () => {
      const storage = viaProxy({ maxAttempts: 2, socketTimeoutMs: 400 });
      proxy.failNext(10, { type: 'blackhole' });
      const started = Date.now();
      await expect(storage.download('hang/a')).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('fails within connectionTimeoutMs per attempt when the SYN is never answered', async () => {
      // A port whose handshake never completes: a listener with a full accept queue drops every SYN.
      const silent = await startUnansweredPort();
      try {
        const storage = new S3StorageAdapter(
          target.config({
            endpoint: silent.url,
            maxAttempts: 2,
            connectionTimeoutMs: 300,
            // Only the connect timeout can end this early: the other limits are far away.
            socketTimeoutMs: 30_000,
            operationTimeoutMs: 30_000,
          }),
        );
        const started = Date.now();
        const error = await storage.stat('x').catch((e: unknown) => e);
        const elapsed = Date.now() - started;
        expect(error).toMatchObject({ code: 'EUNAVAILABLE' });
        expect(causes(error)).toMatch(/did not establish a connection .* timeout of 300 ms/);
        expect((error as Error).cause).toMatchObject({ $metadata: { attempts: 2 } });
        expect(elapsed).toBeGreaterThanOrEqual(2 * 300); // both attempts waited for their connect
        expect(elapsed).toBeLessThan(3_000);
      } finally {
        await silent.stop();
      }
    });

    it('with default settings, rides out a dead pooled connection followed by two 503 SlowDown answers', async () => {
      const storage = viaProxy();
      await storage.upload('budget/a.txt', 'kept', 'text/plain'); // leaves a pooled keep-alive socket
      const operations: Array<[string, () => Promise<unknown>]> = [
        ['stat', async () => (await storage.stat('budget/a.txt')).size],
        ['exists', () => storage.exists('budget/a.txt')],
        ['download', async () => (await storage.download('budget/a.txt')).length],
      ];
      for (const [name, run] of operations) {
        proxy.killOpenConnections();
        proxy.failNext(2, { type: 'http-error', status: 503, code: 'SlowDown' });
        const before = proxy.connections;
        const result = await run();
        expect(result, name).toEqual(name === 'exists' ? true : 4);
        expect(proxy.connections - before, name).toBeGreaterThanOrEqual(3); // both 503s reached the proxy
      }
    });

    it('bounds a black-holed endpoint by operationTimeoutMs, whatever the attempts and socket timeout', async () => {
      const storage = viaProxy({
        operationTimeoutMs: 1_500,
        maxAttempts: 10,
        socketTimeoutMs: 30_000,
      });
      proxy.failNext(20, { type: 'blackhole' });
      const started = Date.now();
      const error = await storage.stat('hang/b').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'EUNAVAILABLE' });
      expect(String((error as Error).message)).toMatch(/within 1500 ms/);
      expect(Date.now() - started).toBeLessThan(4_000);
    });

    it('does not cut a long download stream at operationTimeoutMs', async () => {
      const bytes = pseudoRandomBytes(1_000_000, 9);
      const config = target.config({ endpoint: proxy.url });
      await new S3StorageAdapter(config).upload(
        'slow/stream.bin',
        bytes,
        'application/octet-stream',
      );
      const storage = new S3StorageAdapter({
        ...config,
        s3: { ...config.s3, operationTimeoutMs: 1_000 },
      });
      const stream = await storage.downloadStream('slow/stream.bin');
      const chunks: Buffer[] = [];
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        if (chunks.length === 1) await new Promise((resolve) => setTimeout(resolve, 1_500));
      }
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(bytes));
    });
  },
);
