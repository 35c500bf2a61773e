import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { readdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { isStorageError } from '@monorepo/storage-core';
import { startPartGateway } from '@monorepo/test-utils';
import type { PartGateway } from '@monorepo/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStorageAdapter } from './local-storage-adapter.js';
import { allFiles, useTempRoot } from '../test/test-helpers.js';

const MiB = 1024 * 1024;
const SECRET = 'a-secret-of-at-least-32-characters-0123';
const temp = useTempRoot();
let gateway: PartGateway;
let storage: LocalStorageAdapter;

beforeAll(async () => {
  gateway = await startPartGateway(() => storage);
});
afterAll(() => gateway.close());
beforeEach(async () => {
  await temp.mkdir();
  storage = temp.adapter({ multipartParts: { url: gateway.url, secret: SECRET } });
});

const put = (url: string, body: Uint8Array | string) =>
  fetch(url, { method: 'PUT', body: body as Uint8Array<ArrayBuffer> });

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isStorageError(error) ? error.code : String(error);
  }
}

describe('local multipart uploads', () => {
  it('keeps parts out of sight until completed, then assembles them atomically', async () => {
    const { uploadId } = await storage.createMultipartUpload!('incoming/a', {
      contentType: 'video/mp4',
    });
    const one = randomBytes(5 * MiB);
    const two = randomBytes(1234);
    const r1 = await put(await storage.signUploadPart!('incoming/a', uploadId, 1), one);
    expect(r1.status).toBe(200);
    const r2 = await put(await storage.signUploadPart!('incoming/a', uploadId, 2), two);
    const parts = await storage.listUploadParts!('incoming/a', uploadId);
    expect(parts).toEqual([
      { partNumber: 1, etag: r1.headers.get('etag'), size: one.length },
      { partNumber: 2, etag: r2.headers.get('etag'), size: two.length },
    ]);
    // Not an object, not listed, not readable; the key's directory holds only the hidden upload.
    expect(await storage.exists('incoming/a')).toBe(false);
    expect(await storage.list('')).toMatchObject({ items: [] });
    await storage.completeMultipartUpload!('incoming/a', uploadId, parts);
    expect(Buffer.compare(await storage.download('incoming/a'), Buffer.concat([one, two]))).toBe(0);
    expect((await storage.stat('incoming/a')).contentType).toBe('video/mp4');
    // Nothing of the upload is left beside the object (its sidecar and private marker aside).
    expect(
      (await allFiles(temp.root())).filter((f) => f.includes('.~mp') || f.includes('.~tmp')),
    ).toEqual([]);
    expect(await code(storage.listUploadParts!('incoming/a', uploadId))).toBe('ENOENT');
    expect(await code(storage.completeMultipartUpload!('incoming/a', uploadId, parts))).toBe(
      'ENOENT',
    );
  });

  it('honours a part URL once, for its own part, upload and key, and up to its size', async () => {
    const a = await storage.createMultipartUpload!('incoming/a', { contentType: 'text/plain' });
    const b = await storage.createMultipartUpload!('incoming/b', { contentType: 'text/plain' });
    const url = await storage.signUploadPart!('incoming/a', a.uploadId, 1, { maxBytes: 10 });
    const forge = (name: string, value: string) => {
      const forged = new URL(url);
      forged.searchParams.set(name, value);
      return forged.href;
    };
    for (const [name, value] of [
      ['partNumber', '2'],
      ['uploadId', b.uploadId],
      ['key', 'incoming/b'],
      ['maxBytes', '100'],
      ['expires', String(Math.floor(Date.now() / 1000) + 99_999)],
    ] as const)
      expect((await put(forge(name, value), 'x')).status, name).toBe(403);
    // Longer than the URL allows: refused, nothing kept, and the URL still works.
    expect((await put(url, 'eleven bytes')).status).toBe(400);
    expect(await storage.listUploadParts!('incoming/a', a.uploadId)).toEqual([]);
    expect((await put(url, 'ten bytes!')).status).toBe(200);
    // Used: refused, even for the same bytes; the stored part is untouched.
    expect((await put(url, 'other')).status).toBe(403);
    expect((await storage.listUploadParts!('incoming/a', a.uploadId)).map((p) => p.size)).toEqual([
      10,
    ]);
    // Expired.
    const expired = await storage.signUploadPart!('incoming/a', a.uploadId, 2, { expiresIn: 1 });
    const until = Number(new URL(expired).searchParams.get('expires')) * 1000;
    expect(until - Date.now()).toBeGreaterThanOrEqual(900); // at least its lifetime (whole seconds)
    await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 50));
    expect((await put(expired, 'x')).status).toBe(403);
    // Another key's upload id is no upload of this key; a URL for an aborted upload finds nothing.
    expect(await code(storage.listUploadParts!('incoming/a', b.uploadId))).toBe('ENOENT');
    const late = await storage.signUploadPart!('incoming/b', b.uploadId, 1);
    await storage.abortMultipartUpload!('incoming/b', b.uploadId);
    expect((await put(late, 'x')).status).toBe(404);
    // Without the route's settings there is nothing to sign with.
    expect(await code(temp.adapter().signUploadPart!('incoming/a', a.uploadId, 1))).toBe('ECONFIG');
    expect(await code(storage.signUploadPart!('incoming/a', a.uploadId, 1, { maxBytes: 0 }))).toBe(
      'ECONFIG',
    );
  });

  it('keeps nothing of a part whose connection drops, and gives its URL back', async () => {
    const { uploadId } = await storage.createMultipartUpload!('incoming/a', {
      contentType: 'application/octet-stream',
    });
    const url = new URL(await storage.signUploadPart!('incoming/a', uploadId, 1));
    await new Promise<void>((resolve) => {
      const req = request(url, { method: 'PUT', headers: { 'content-length': String(MiB) } });
      req.on('error', () => resolve());
      req.write(randomBytes(64 * 1024), () => setTimeout(() => req.destroy(), 100));
      req.on('close', () => resolve());
    });
    // The gateway sees the cut connection a moment later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await storage.listUploadParts!('incoming/a', uploadId)).toEqual([]);
    expect((await allFiles(temp.root())).filter((f) => f.includes('.~tmp'))).toEqual([]);
    // The cut part's URL was given back: the retry goes through.
    expect((await put(url.href, randomBytes(MiB))).status).toBe(200);
  });

  it('refuses a forged part list, a missing part and a short middle part: nothing stored', async () => {
    const { uploadId } = await storage.createMultipartUpload!('incoming/a', {
      contentType: 'application/octet-stream',
    });
    const small = await put(await storage.signUploadPart!('incoming/a', uploadId, 1), 'small');
    await put(await storage.signUploadPart!('incoming/a', uploadId, 2), 'last');
    const parts = await storage.listUploadParts!('incoming/a', uploadId);
    for (const named of [
      [{ partNumber: 1, etag: '"00000000000000000000000000000000"' }, parts[1]!],
      [parts[0]!, { partNumber: 3, etag: parts[1]!.etag }],
      parts, // part 1 is under 5 MiB and not the last
    ])
      expect(await code(storage.completeMultipartUpload!('incoming/a', uploadId, named))).toBe(
        'EINVAL',
      );
    expect(await storage.exists('incoming/a')).toBe(false);
    // Only part 1 (the last one named): fine, with the ETag bare or quoted.
    await storage.completeMultipartUpload!('incoming/a', uploadId, [
      { partNumber: 1, etag: small.headers.get('etag')!.replace(/"/g, '') },
    ]);
    expect((await storage.download('incoming/a')).toString()).toBe('small');
  });

  it('removes aborted and stale uploads; keeps the ones still written to', async () => {
    const old = await storage.createMultipartUpload!('incoming/old', { contentType: 'text/plain' });
    await put(await storage.signUploadPart!('incoming/old', old.uploadId, 1), 'part');
    const fresh = await storage.createMultipartUpload!('incoming/new', {
      contentType: 'text/plain',
    });
    const gone = await storage.createMultipartUpload!('gone/x', { contentType: 'text/plain' });
    await storage.abortMultipartUpload!('gone/x', gone.uploadId);
    await storage.abortMultipartUpload!('gone/x', gone.uploadId); // idempotent
    expect(await allFiles(temp.root())).not.toContainEqual(expect.stringMatching(/^gone/));
    const hourAgo = new Date(Date.now() - 3_600_000);
    const dir = path.join(temp.root(), 'incoming', `.~mp\\${old.uploadId}`);
    for (const file of ['', ...(await readdir(dir))])
      await utimes(path.join(dir, file), hourAgo, hourAgo);
    expect(await storage.sweepIncomplete({ olderThanMs: 60_000 })).toBe(1);
    expect(await code(storage.listUploadParts!('incoming/old', old.uploadId))).toBe('ENOENT');
    expect(await storage.listUploadParts!('incoming/new', fresh.uploadId)).toEqual([]);
  });
});
