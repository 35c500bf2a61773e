import { Readable } from 'node:stream';
import { pseudoRandomBytes, sha256 } from '@monorepo/test-utils';
import { FaultProxy } from '@monorepo/dev-servers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3StorageAdapter } from './s3-storage-adapter.js';
import { S3_REQUEST_PATHS, leftovers, useS3Target } from '../test/test-target.js';

const target = useS3Target();
/** The request line of an UploadPart: a PUT carrying an upload id. */
const UPLOAD_PART = /^PUT \S*[?&]uploadId=/;

/** A 12 MiB stream of unknown length: a multipart upload of three parts (5 + 5 + 2 MiB). */
function threeParts(seed: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < 3; i++) yield pseudoRandomBytes(4 * 1024 * 1024, seed + i);
    })(),
  );
}

describe.each(S3_REQUEST_PATHS)(
  'S3 adapter through a faulty network (%s): succeed after retries or fail cleanly, never half-written',
  (_, directRequests) => {
    let proxy: FaultProxy;
    let direct: S3StorageAdapter;
    let prefix: string;
    beforeEach(async () => {
      proxy = await new FaultProxy({
        port: Number(new URL(target.server().endpoint).port),
      }).start();
      const config = target.config({ directRequests });
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
          directRequests,
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

    it('leaves the old object whole when an overwrite dies mid-part, and aborts its multipart upload', async () => {
      const old = pseudoRandomBytes(100_000, 6);
      await direct.upload('torn/a.bin', old, 'application/octet-stream');
      const storage = viaProxy({ maxAttempts: 2 });
      // Every UploadPart dies after 1 MiB of its body reached the server; every other request goes through.
      proxy.failRequests(20, { match: UPLOAD_PART, cutBodyAfter: 1024 * 1024 });
      await expect(
        storage.upload('torn/a.bin', threeParts(10), 'application/octet-stream'),
      ).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
      expect(proxy.cuts.length).toBeGreaterThan(0);
      for (const cut of proxy.cuts) {
        expect(cut.requestLine).toMatch(UPLOAD_PART);
        expect(cut.bodyBytes).toBe(1024 * 1024);
      }
      expect(sha256(await direct.download('torn/a.bin'))).toBe(sha256(old));
      expect(await leftovers(target.server(), prefix)).toEqual({ objects: 1, uploads: [] });
    });

    it('leaves an upload whose CreateMultipartUpload answer was lost to the janitor sweep, which removes it', async () => {
      const storage = viaProxy({ maxAttempts: 1 });
      // The request reaches the server, which creates the upload; its answer (the upload id) never arrives.
      proxy.failNext(1, { type: 'reset', afterBytes: 0 });
      await expect(
        storage.upload('lost/a.bin', threeParts(20), 'application/octet-stream'),
      ).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
      expect(proxy.requests).toEqual([expect.stringMatching(/^POST \S*lost\/a\.bin\?uploads/)]);
      expect(await leftovers(target.server(), prefix)).toEqual({
        objects: 0,
        uploads: [`${prefix}lost/a.bin`],
      });
      expect(await direct.sweepIncomplete({ olderThanMs: 0 })).toBe(1);
      expect(await leftovers(target.server(), prefix)).toEqual({ objects: 0, uploads: [] });
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
  },
);
