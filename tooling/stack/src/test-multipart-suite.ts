import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StorageApiClient } from '@monorepo/api-client';
import type { ResumableProgress } from '@monorepo/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const MiB = 1024 * 1024;
const KEYS = {
  'mp-key-a-0123456789abcdef-000001': 'mp-a',
  'mp-key-b-0123456789abcdef-000002': 'mp-b',
  'mp-key-q-0123456789abcdef-000003': 'mp-q',
};
const [A, B, Q] = Object.keys(KEYS) as [string, string, string];

/**
 * Issue #26's multipart uploads through the API on one backend: parts to the bucket (S3) or through the API's
 * part route (local storage), resume from the listed parts, hostile part URLs, forged part lists, other users.
 */
export function describeMultipartUploads(storageType: 'local' | 's3'): void {
  let dataDir: string;
  let stack: Stack;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), `multipart-${storageType}-`));
    stack = await startStack({
      dataDir,
      storageType,
      apiKeys: KEYS,
      env: { LOG_LEVEL: 'warn', API_QUOTA_OVERRIDES: 'mp-q=30MB', API_RATE_LIMIT: '100000' },
    });
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function api(
    key: string,
    method: string,
    route: string,
    body?: unknown,
  ): Promise<Response> {
    return fetch(`${stack.gatewayUrl}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function json<T = Record<string, unknown>>(response: Response, status: number): Promise<T> {
    const text = await response.text();
    expect(response.status, text).toBe(status);
    return (text ? JSON.parse(text) : {}) as T;
  }

  async function announce(key: string, size: number, contentType = 'application/octet-stream') {
    return json<{ id: string; key: string; maxParts: number }>(
      await api(key, 'POST', '/v1/uploads/multipart', { name: 'big.bin', contentType, size }),
      201,
    );
  }

  async function sign(key: string, id: string, part: number): Promise<string> {
    return (
      await json<{ url: string }>(await api(key, 'POST', `/v1/uploads/${id}/parts/${part}`), 200)
    ).url;
  }

  async function put(url: string, bytes: Buffer): Promise<Response> {
    return fetch(url, { method: 'PUT', body: bytes });
  }

  async function usage(key: string) {
    return (
      await json<{ storage: { bytes: number; objects: number; reservedBytes: number } }>(
        await api(key, 'GET', '/v1/usage'),
        200,
      )
    ).storage;
  }

  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  describe(`multipart direct uploads on ${storageType === 's3' ? 'radosgw' : 'local storage'}`, () => {
    it('uploads in parts, lists them to resume, completes once: the object is the bytes, counted once', async () => {
      const file = randomBytes(11 * MiB);
      const parts = [
        file.subarray(0, 5 * MiB),
        file.subarray(5 * MiB, 10 * MiB),
        file.subarray(10 * MiB),
      ];
      const intent = await announce(A, file.length);
      expect(intent.maxParts).toBe(3);
      // Part 1, then a "reload": the client only has the id and asks what is stored.
      expect((await put(await sign(A, intent.id, 1), parts[0]!)).status).toBe(200);
      const listed = await json<{ parts: Array<{ partNumber: number; size: number }> }>(
        await api(A, 'GET', `/v1/uploads/${intent.id}/parts`),
        200,
      );
      expect(listed.parts.map((p) => [p.partNumber, p.size])).toEqual([[1, 5 * MiB]]);
      // Nothing is a file yet: the final key is not readable.
      expect((await api(A, 'GET', `/v1/files/${intent.key}`)).status).toBe(404);
      for (const n of [2, 3])
        expect((await put(await sign(A, intent.id, n), parts[n - 1]!)).status).toBe(200);
      expect((await usage(A)).reservedBytes).toBe(file.length);

      // Concurrent completes: exactly one wins.
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => api(A, 'POST', `/v1/uploads/${intent.id}/complete`)),
      );
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s !== 201).every((s) => s >= 400 && s < 500)).toBe(true);

      const stored = Buffer.from(
        await (await api(A, 'GET', `/v1/files/${intent.key}`)).arrayBuffer(),
      );
      expect(sha(stored)).toBe(sha(file));
      expect(await usage(A)).toMatchObject({ bytes: file.length, objects: 1, reservedBytes: 0 });
    }, 120_000);

    it('refuses part numbers past what the announced size needs, and a part URL used for another part or upload', async () => {
      const one = await announce(A, 6 * MiB);
      const two = await announce(A, 6 * MiB);
      expect((await api(A, 'POST', `/v1/uploads/${one.id}/parts/3`)).status).toBe(400);
      expect((await api(A, 'POST', `/v1/uploads/${one.id}/parts/0`)).status).toBe(400);
      const url = new URL(await sign(A, one.id, 1));
      const otherPart = new URL(url);
      otherPart.searchParams.set('partNumber', '2');
      expect((await put(otherPart.href, randomBytes(MiB))).status).toBe(403);
      const otherUpload = new URL(await sign(A, two.id, 1));
      otherUpload.searchParams.set('uploadId', url.searchParams.get('uploadId')!);
      expect((await put(otherUpload.href, randomBytes(MiB))).status).toBe(403);
      for (const id of [one.id, two.id])
        expect((await api(A, 'DELETE', `/v1/uploads/${id}`)).status).toBe(204);
    }, 60_000);

    it.runIf(storageType === 'local')(
      'local storage: a part URL works once, only up to what the announced size leaves, and only while the upload is open',
      async () => {
        const intent = await announce(A, 6 * MiB);
        const url = await sign(A, intent.id, 2);
        // Part 2 of a 6 MiB upload holds at most 1 MiB: a longer one is refused as it arrives, nothing kept.
        expect((await put(url, randomBytes(MiB + 1))).status).toBe(400);
        expect((await put(url, randomBytes(MiB))).status).toBe(200);
        // Used once: refused, and the stored part is untouched.
        expect((await put(url, randomBytes(10))).status).toBe(403);
        const listed = await json<{ parts: Array<{ partNumber: number; size: number }> }>(
          await api(A, 'GET', `/v1/uploads/${intent.id}/parts`),
          200,
        );
        expect(listed.parts.map((p) => [p.partNumber, p.size])).toEqual([[2, MiB]]);
        // After an abort the URL of a part not yet sent finds nothing.
        const late = await sign(A, intent.id, 1);
        expect((await api(A, 'DELETE', `/v1/uploads/${intent.id}`)).status).toBe(204);
        expect((await put(late, randomBytes(5 * MiB))).status).toBe(404);
        // Nothing of the upload (named by the store's upload id) is left in the store.
        const uploadId = new URL(url).searchParams.get('uploadId')!;
        expect(
          (await readdir(stack.storageEnv.STORAGE_LOCAL_PATH!, { recursive: true })).filter(
            (f) => f.includes(uploadId) || f.includes(intent.id),
          ),
        ).toEqual([]);
      },
      60_000,
    );

    it('refuses parts beyond the announced size, missing parts and a forged part list: nothing stored, retry possible', async () => {
      const intent = await announce(A, 6 * MiB);
      const first = randomBytes(5 * MiB);
      const put1 = await put(await sign(A, intent.id, 1), first);
      const etag1 = put1.headers.get('etag')!;
      // Beyond the announced size: a 5 MiB second part makes 10 MiB. Local storage refuses it as it arrives (its
      // URL allows what the size leaves: 1 MiB); S3 stores it and the completion refuses the total.
      const tooBig = await put(await sign(A, intent.id, 2), randomBytes(5 * MiB));
      if (storageType === 'local') expect(tooBig.status).toBe(400);
      else {
        expect(tooBig.status).toBe(200);
        const over = await api(A, 'POST', `/v1/uploads/${intent.id}/complete`);
        expect(over.status).toBe(400);
        expect(await over.text()).toMatch(/not the 6291456 announced/);
      }
      expect((await api(A, 'GET', `/v1/files/${intent.key}`)).status).toBe(404);
      // The client sends part 2 again, right this time; a forged list is refused.
      const last = randomBytes(MiB);
      const put2 = await put(await sign(A, intent.id, 2), last);
      const forged = await api(A, 'POST', `/v1/uploads/${intent.id}/complete`, {
        parts: [
          { partNumber: 1, etag: etag1 },
          { partNumber: 2, etag: '"00000000000000000000000000000000"' },
        ],
      });
      expect(forged.status).toBe(400);
      expect((await api(A, 'GET', `/v1/files/${intent.key}`)).status).toBe(404);
      const done = await api(A, 'POST', `/v1/uploads/${intent.id}/complete`, {
        parts: [
          { partNumber: 1, etag: etag1 },
          { partNumber: 2, etag: put2.headers.get('etag')! },
        ],
      });
      expect(done.status).toBe(201);

      const gap = await announce(A, 10 * MiB);
      await put(await sign(A, gap.id, 1), randomBytes(5 * MiB));
      // Part 2 never sent: the size does not add up either way.
      const missing = await api(A, 'POST', `/v1/uploads/${gap.id}/complete`);
      expect(missing.status).toBe(400);
      expect((await api(A, 'DELETE', `/v1/uploads/${gap.id}`)).status).toBe(204);
    }, 60_000);

    it('refuses images whose bytes are not the announced type, and removes them', async () => {
      const intent = await announce(A, 5 * MiB + 10, 'image/png');
      await put(await sign(A, intent.id, 1), randomBytes(5 * MiB));
      await put(await sign(A, intent.id, 2), randomBytes(10));
      const refused = await api(A, 'POST', `/v1/uploads/${intent.id}/complete`);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toMatch(/not image\/png/);
      expect((await api(A, 'GET', `/v1/files/${intent.key}`)).status).toBe(404);
    }, 60_000);

    it("gives another user nothing of someone's upload", async () => {
      const intent = await announce(A, 6 * MiB);
      for (const [method, route] of [
        ['POST', `/v1/uploads/${intent.id}/parts/1`],
        ['GET', `/v1/uploads/${intent.id}/parts`],
        ['POST', `/v1/uploads/${intent.id}/complete`],
        ['DELETE', `/v1/uploads/${intent.id}`],
        ['GET', `/s3/multipart/${intent.id}?key=${encodeURIComponent(intent.key)}`],
        ['GET', `/s3/multipart/${intent.id}/1?key=${encodeURIComponent(intent.key)}`],
        ['DELETE', `/s3/multipart/${intent.id}?key=${encodeURIComponent(intent.key)}`],
      ] as const)
        expect((await api(B, method, route)).status, `${method} ${route}`).toBe(404);
      // No API key: refused.
      expect((await fetch(`${stack.gatewayUrl}/s3/multipart`, { method: 'POST' })).status).toBe(
        401,
      );
      expect((await api(A, 'DELETE', `/v1/uploads/${intent.id}`)).status).toBe(204);
      expect((await api(A, 'GET', `/v1/uploads/${intent.id}/parts`)).status).toBe(404);
    }, 60_000);

    it('reserves the quota atomically under concurrent announcements, and an abort releases it', async () => {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          api(Q, 'POST', '/v1/uploads/multipart', {
            name: 'q.bin',
            contentType: 'application/octet-stream',
            size: 10 * MiB,
          }),
        ),
      );
      const created = answers.filter((r) => r.status === 201);
      expect(created).toHaveLength(3);
      expect(answers.filter((r) => r.status === 413).length + created.length).toBe(10);
      expect((await usage(Q)).reservedBytes).toBe(30 * MiB);
      const { id } = (await created[0]!.json()) as { id: string };
      expect((await api(Q, 'DELETE', `/v1/uploads/${id}`)).status).toBe(204);
      expect((await usage(Q)).reservedBytes).toBe(20 * MiB);
    }, 60_000);

    it('api-client uploadResumable: retries a failed part alone, and resumes from the upload id after a crash', async () => {
      const file = randomBytes(23 * MiB);
      const partPuts: number[] = [];
      let failedOnce = false;
      let crash = true;
      const flaky: typeof fetch = async (input, init) => {
        const url = new URL(String(input instanceof Request ? input.url : input));
        const part = Number(url.searchParams.get('partNumber'));
        if (init?.method === 'PUT' && part) {
          partPuts.push(part);
          if (part === 2 && !failedOnce) {
            failedOnce = true;
            throw new TypeError('fetch failed: connection reset');
          }
          // The "crash": the process dies before part 4 is sent.
          if (part === 4 && crash)
            throw Object.assign(new Error('crashed'), { name: 'AbortError' });
        }
        return fetch(input, init);
      };
      const client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: B, fetch: flaky });
      const progress: ResumableProgress[] = [];
      const options = {
        name: 'resumable.bin',
        contentType: 'application/octet-stream',
        partSize: 5 * MiB,
        concurrency: 1,
        retries: 0,
        onProgress: (p: ResumableProgress) => progress.push(p),
      };
      await expect(client.uploadResumable(file, { ...options, retries: 1 })).rejects.toThrow(
        /crashed/,
      );
      const id = progress[0]!.id;
      expect(partPuts).toEqual([1, 2, 2, 3, 4, 4]);
      crash = false;
      partPuts.length = 0;
      const stored = await client.uploadResumable(file, { ...options, resumeId: id });
      // Only the parts the store did not hold were sent.
      expect(partPuts).toEqual([4, 5]);
      expect(progress.at(-1)).toMatchObject({
        id,
        bytesSent: file.length,
        bytesTotal: file.length,
      });
      const back = Buffer.from(
        await (await api(B, 'GET', `/v1/files/${stored.key}`)).arrayBuffer(),
      );
      expect(sha(back)).toBe(sha(file));
      expect(await usage(B)).toMatchObject({ bytes: file.length, objects: 1, reservedBytes: 0 });
    }, 120_000);
  });
}
