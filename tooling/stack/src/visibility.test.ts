import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiError, StorageApiClient } from '@monorepo/api-client';
import { StorageFactory } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import { stagingKey } from '@monorepo/tenant-limits';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY = 'visibility-key-0123456789abcdef-1';
const OTHER = 'visibility-key-0123456789abcdef-2';

/** The same URL without its query: what anyone who learnt the address (not the signature) would ask. */
const unsigned = (url: string) => url.split('?')[0]!;
const status = async (url: string) => {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
};

function describeVisibility(storageType: 'local' | 's3'): void {
  describe(`private files and signed delivery on ${storageType} (real nginx${storageType === 's3' ? ', radosgw' : ''})`, () => {
    let dataDir: string;
    let stack: Stack;
    let client: StorageApiClient;
    let bucketUrl: (key: string) => string;
    let storage: StorageAdapter;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), `visibility-${storageType}-`));
      stack = await startStack({
        dataDir,
        storageType,
        apiKeys: { [KEY]: 'user-v', [OTHER]: 'user-w' },
        corsOrigins: ['https://app.example'],
        // Short-lived direct-upload intents and a busy janitor, so expiry is seen within the test.
        env: {
          LOG_LEVEL: 'warn',
          API_UPLOAD_INTENT_TTL_S: '6',
          WORKER_JANITOR_INTERVAL_MS: '1000',
        },
      });
      client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY });
      storage = StorageFactory.fromEnv(stack.storageEnv);
      bucketUrl = (key) =>
        `${stack.storageEnv.S3_ENDPOINT}/${stack.storageEnv.S3_BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}`;
    }, 120_000);

    afterAll(async () => {
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('serves a private upload only with a valid, unexpired signature, checked at the CDN', async () => {
      const file = await client.uploadFile('private bytes', {
        name: 'secret.txt',
        contentType: 'text/plain',
      });
      expect(file.visibility).toBe('private');
      expect(file.expiresAt).toBeDefined();
      // Unsigned: refused by the CDN, and on S3 by the bucket itself.
      expect(await status(unsigned(file.url))).toBe(403);
      if (storageType === 's3') expect(await status(bucketUrl(file.key))).toBe(403);
      // Signed: served, never cached for others.
      const signed = await fetch(file.url);
      expect(signed.status).toBe(200);
      expect(await signed.text()).toBe('private bytes');
      expect(signed.headers.get('cache-control')).toMatch(/^private/);
      // A tampered signature or path is refused, not served as unsigned.
      const url = new URL(file.url);
      const sigParam = storageType === 's3' ? 'X-Amz-Signature' : 'sig';
      const sig = url.searchParams.get(sigParam)!;
      url.searchParams.set(sigParam, `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`);
      expect(await status(url.href)).toBe(403);
      const otherPath = file.url.replace('secret.txt', 'other.txt');
      expect(await status(otherPath)).toBe(403);
      // Expired: refused.
      const short = await client.signedUrl(file.key, 1);
      expect(await status(short.url)).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect(await status(short.url)).toBe(403);
      // Lifetimes out of range are refused by the API; other users' files get no URL at all.
      await expect(client.signedUrl(file.key, 0)).rejects.toMatchObject({ code: 'E_VALIDATION' });
      await expect(
        new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: OTHER }).signedUrl(file.key),
      ).rejects.toMatchObject({ status: 404 });
    }, 60_000);

    it('changes visibility at once with PATCH, at the CDN and at the bucket', async () => {
      const file = await client.uploadFile('shared later', {
        name: 'later.txt',
        contentType: 'text/plain',
      });
      const made = await client.setFileVisibility(file.key, 'public');
      expect(made).toMatchObject({ visibility: 'public', url: unsigned(file.url) });
      expect(await status(made.url)).toBe(200);
      if (storageType === 's3') expect(await status(bucketUrl(file.key))).toBe(200);
      await client.setFileVisibility(file.key, 'private');
      expect(await status(made.url)).toBe(403);
      if (storageType === 's3') expect(await status(bucketUrl(file.key))).toBe(403);
      const listed = (await client.listFiles()).items.find((item) => item.key === file.key)!;
      expect(await status(listed.url)).toBe(200); // list URLs are signed
    });

    it('keeps a private job private: outputs refused unsigned, its answers signed, PATCH publishes them', async () => {
      const photo = await sharp({
        create: { width: 320, height: 200, channels: 3, background: '#285' },
      })
        .jpeg()
        .toBuffer();
      const source = await client.uploadFile(photo, { name: 'p.jpg', contentType: 'image/jpeg' });
      const { jobId } = await client.submitImageJob({
        tool: 'dall-e',
        sourceKey: source.key,
        visibility: 'private',
      });
      // One long poll: the API holds the answer until the job has finished.
      const started = Date.now();
      const done = await client.getImageJob(jobId, { waitSeconds: 30 });
      expect(done.status).toBe('completed');
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(done.result!.visibility).toBe('private');
      for (const variant of done.result!.variants) {
        expect(variant.url).toContain('?');
        expect(await status(unsigned(variant.url))).toBe(403);
        const res = await fetch(variant.url);
        expect(res.status).toBe(200);
        expect((await res.arrayBuffer()).byteLength).toBe(variant.bytes);
        if (storageType === 's3') expect(await status(bucketUrl(variant.key))).toBe(403);
      }
      const published = await client.setImageJobVisibility(jobId, 'public');
      expect(published.result!.visibility).toBe('public');
      for (const variant of published.result!.variants) {
        expect(variant.url).not.toContain('?');
        const res = await fetch(variant.url);
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toContain('immutable');
      }
      expect((await client.getImageJob(jobId)).result!.visibility).toBe('public');
    }, 90_000);

    it('takes direct uploads: bytes straight to the store, checked on completion, nothing else accepted', async () => {
      const photo = await sharp({
        create: { width: 64, height: 48, channels: 3, background: '#913' },
      })
        .png()
        .toBuffer();
      const file = await client.uploadDirect(photo, {
        name: 'direct.png',
        contentType: 'image/png',
      });
      expect(file).toMatchObject({
        size: photo.length,
        contentType: 'image/png',
        visibility: 'private',
      });
      expect(Buffer.from(await (await fetch(file.url)).arrayBuffer()).equals(photo)).toBe(true);
      expect((await client.listFiles()).items.map((item) => item.key)).toContain(file.key);
      // The target checks type and size itself: nothing is stored for a refused send.
      const intent = await client.createUpload({
        name: 'x.png',
        contentType: 'image/png',
        size: 5,
      });
      expect(intent.upload.method).toBe(storageType === 's3' ? 'POST' : 'PUT');
      expect(intent.upload.url).not.toContain(stack.apiUrl); // through the gateway or to the bucket
      await expect(client.sendUpload(intent, 'more than five bytes')).rejects.toBeInstanceOf(
        ApiError,
      );
      expect(await storage.exists(intent.key)).toBe(false);
      expect(await storage.exists(stagingKey(intent.id))).toBe(false);
      await expect(client.completeUpload(intent.id)).rejects.toMatchObject({
        code: 'E_VALIDATION',
      });
      if (storageType === 'local') {
        // A refused attempt spends nothing; the URL works once.
        await client.sendUpload(intent, '12345');
        await expect(client.sendUpload(intent, '12345')).rejects.toMatchObject({ status: 401 });
      }
      // Bytes that are not what was announced are removed on completion.
      const fake = await client.createUpload({
        name: 'fake.png',
        contentType: 'image/png',
        size: 10,
      });
      await client.sendUpload(fake, '<svg></svg');
      await expect(client.completeUpload(fake.id)).rejects.toMatchObject({ code: 'E_VALIDATION' });
      expect(await storage.exists(fake.key)).toBe(false);
      // Another user cannot complete yours.
      const mine = await client.createUpload({
        name: 'mine.txt',
        contentType: 'text/plain',
        size: 4,
      });
      await client.sendUpload(mine, 'mine');
      await expect(
        new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: OTHER }).completeUpload(mine.id),
      ).rejects.toMatchObject({ status: 404 });
      expect((await client.completeUpload(mine.id)).key).toBe(mine.key);
    }, 60_000);

    it('removes what was sent for an intent never completed, once it expires', async () => {
      const intent = await client.createUpload({
        name: 'left.txt',
        contentType: 'text/plain',
        size: 4,
      });
      await client.sendUpload(intent, 'left');
      // Sent, not completed: the bytes wait in staging, and the file does not exist.
      expect(await storage.exists(stagingKey(intent.id))).toBe(true);
      expect(await storage.exists(intent.key)).toBe(false);
      for (const deadline = Date.now() + 30_000; await storage.exists(stagingKey(intent.id));) {
        if (Date.now() > deadline) throw new Error('the janitor did not remove the expired upload');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await expect(client.completeUpload(intent.id)).rejects.toMatchObject({ status: 404 });
    }, 60_000);

    it('answers CORS only for the configured origins, at the gateway and at the bucket', async () => {
      const preflight = (url: string, origin: string, method: string) =>
        fetch(url, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': method,
            'access-control-request-headers': 'content-type',
          },
        });
      const api = `${stack.gatewayUrl}/v1/uploads`;
      const allowed = await preflight(api, 'https://app.example', 'POST');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
      const other = await preflight(api, 'https://evil.example', 'POST');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      if (storageType === 's3') {
        const bucket = `${stack.storageEnv.S3_ENDPOINT}/${stack.storageEnv.S3_BUCKET}`;
        const ok = await preflight(bucket, 'https://app.example', 'POST');
        expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
        const refused = await preflight(bucket, 'https://evil.example', 'POST');
        expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      }
    });
  });
}

describeVisibility('local');
describeVisibility('s3');
