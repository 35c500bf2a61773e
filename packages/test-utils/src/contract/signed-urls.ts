import { describe, expect, it } from 'vitest';
import { skipForCapability } from '../skips.js';
import { expectCode } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: signed urls. */
export function signedUrlSuite(t: ContractContext): void {
  describe('signed URLs', () => {
    it('signs GET and PUT URLs', async (ctx) => {
      if (!t.storage.capabilities.signedUrls) return skipForCapability(ctx, 'no signedUrls');
      // Only a server that checks them proves a signed URL works; its shape alone proves nothing.
      if (!t.options.fetchSignedUrls)
        return skipForCapability(ctx, 'the target does not serve signed URLs (fetchSignedUrls)');
      await t.storage.upload('signed/a.txt', 'signed content', 'text/plain');
      const get = await t.storage.getSignedUrl!('signed/a.txt', { expiresIn: 60 });
      const put = await t.storage.getSignedUrl!('signed/b.txt', {
        method: 'PUT',
        contentType: 'text/plain',
        expiresIn: 60,
      });
      const got = await fetch(get);
      expect(got.status).toBe(200);
      expect(await got.text()).toBe('signed content');
      const sent = await fetch(put, {
        method: 'PUT',
        body: 'uploaded directly',
        headers: { 'content-type': 'text/plain' },
      });
      expect(sent.status).toBe(200);
      expect((await t.storage.download('signed/b.txt')).toString()).toBe('uploaded directly');
    });

    it('rejects lifetimes out of range with ECONFIG', async () => {
      // Checked before the capability: a backend without signed URLs refuses with ECONFIG too.
      await expectCode(t.storage.getSignedUrl!('signed/a.txt', { expiresIn: 0 }), 'ECONFIG');
      await expectCode(t.storage.getSignedUrl!('signed/a.txt', { expiresIn: 604801 }), 'ECONFIG');
      await expectCode(t.storage.getSignedUrl!('../x'), 'EINVAL');
    });

    it('refuses to sign, with ECONFIG, where the backend cannot', async (ctx) => {
      if (t.storage.capabilities.signedUrls)
        return skipForCapability(ctx, 'this backend signs URLs (signedUrls)');
      await expectCode(t.storage.getSignedUrl!('signed/a.txt'), 'ECONFIG');
    });

    it('takes direct multipart uploads: part URLs for one part of one upload, nothing readable until completed', async (ctx) => {
      if (!t.storage.capabilities.directMultipart) {
        await expectCode(
          t.storage.createMultipartUpload!('direct/mp.bin', {
            contentType: 'application/octet-stream',
          }),
          'ECONFIG',
        );
        return skipForCapability(ctx, 'no directMultipart');
      }
      if (!t.options.fetchSignedUrls)
        return skipForCapability(ctx, 'the target does not serve signed URLs (fetchSignedUrls)');
      const key = 'direct/mp.bin';
      const first = new Uint8Array(5 * 1024 * 1024).fill(7);
      const last = new TextEncoder().encode('the end');
      const { uploadId } = await t.storage.createMultipartUpload!(key, {
        contentType: 'application/octet-stream',
      });
      await expectCode(t.storage.signUploadPart!(key, uploadId, 0), 'ECONFIG');
      const put = async (n: number, body: Uint8Array) =>
        fetch(await t.storage.signUploadPart!(key, uploadId, n, { expiresIn: 60 }), {
          method: 'PUT',
          body: body as Uint8Array<ArrayBuffer>,
        });
      expect((await put(1, first)).status).toBe(200);
      // A URL signed for part 1 does not send part 2.
      const forged = new URL(await t.storage.signUploadPart!(key, uploadId, 1));
      forged.searchParams.set('partNumber', '2');
      expect((await fetch(forged, { method: 'PUT', body: 'x' })).status).toBe(403);
      expect((await put(2, last)).status).toBe(200);
      const parts = await t.storage.listUploadParts!(key, uploadId);
      expect(parts.map((p) => [p.partNumber, p.size])).toEqual([
        [1, first.length],
        [2, last.length],
      ]);
      expect(await t.storage.exists(key)).toBe(false);
      await t.storage.completeMultipartUpload!(key, uploadId, parts);
      const stored = await t.storage.download(key);
      expect(stored.length).toBe(first.length + last.length);
      expect(stored.subarray(first.length).toString()).toBe('the end');
      await expectCode(t.storage.listUploadParts!(key, uploadId), 'ENOENT');

      const other = await t.storage.createMultipartUpload!('direct/gone.bin', {
        contentType: 'text/plain',
      });
      await t.storage.abortMultipartUpload!('direct/gone.bin', other.uploadId);
      await t.storage.abortMultipartUpload!('direct/gone.bin', other.uploadId); // idempotent
      expect(await t.storage.exists('direct/gone.bin')).toBe(false);
    });

    it('makes direct form uploads that the store checks: exact type and size, nothing else', async (ctx) => {
      if (!t.storage.capabilities.directUploads) {
        await expectCode(
          t.storage.createUploadPost!('direct/a.txt', { contentType: 'text/plain', size: 5 }),
          'ECONFIG',
        );
        return skipForCapability(ctx, 'no directUploads');
      }
      if (!t.options.fetchSignedUrls)
        return skipForCapability(ctx, 'the target does not serve signed URLs (fetchSignedUrls)');
      const post = await t.storage.createUploadPost!('direct/a.txt', {
        contentType: 'text/plain',
        size: 5,
        expiresIn: 60,
      });
      expect(post.expiresAt.getTime()).toBeGreaterThan(Date.now());
      expect(new URL(post.url).protocol).toMatch(/^https?:$/);
      const send = (body: string, type: string) => {
        const form = new FormData();
        for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
        form.set('Content-Type', type);
        form.append('file', new Blob([body], { type }), 'a.txt');
        return fetch(post.url, { method: 'POST', body: form });
      };
      expect((await send('far too long', 'text/plain')).status).toBe(400);
      expect((await send('hello', 'text/html')).status).toBe(403);
      expect(await t.storage.exists('direct/a.txt')).toBe(false);
      expect((await send('hello', 'text/plain')).status).toBe(204);
      expect((await t.storage.download('direct/a.txt')).toString()).toBe('hello');
      expect((await t.storage.stat('direct/a.txt')).contentType).toBe('text/plain');
    });
  });
}
