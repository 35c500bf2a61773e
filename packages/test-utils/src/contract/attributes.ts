import { describe, expect, it } from 'vitest';
import type { ContractContext } from './contract-context.js';

/** Contract suite: attributes. */
export function attributeSuite(t: ContractContext): void {
  describe('attributes', () => {
    it('round-trips content type, cache control and metadata', async () => {
      await t.storage.upload('attr/a.json', '{"a":1}', 'application/json; charset=utf-8', {
        cacheControl: 'public, max-age=60',
        metadata: { owner: 'user-123', 'job-id': 'job-456' },
      });
      const info = await t.storage.stat('attr/a.json');
      expect(info.key).toBe('attr/a.json');
      expect(info.contentType).toBe('application/json; charset=utf-8');
      expect(info.cacheControl).toBe('public, max-age=60');
      expect(info.metadata).toEqual({ owner: 'user-123', 'job-id': 'job-456' });
      expect(info.size).toBe(7);
      expect(typeof info.etag).toBe('string');
      expect(info.etag.length).toBeGreaterThan(2);
      expect(info.lastModified).toBeInstanceOf(Date);
      expect(Math.abs(info.lastModified.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    });

    it('answers a put with what a stat reads afterwards', async () => {
      for (const [key, visibility] of [
        ['attr/put/public.json', 'public'],
        ['attr/put/private.json', 'private'],
      ] as const) {
        const stored = await t.storage.put(key, '{"put":true}', 'application/json', {
          cacheControl: 'public, max-age=60',
          metadata: { owner: 'user-123' },
          visibility,
        });
        const info = await t.storage.stat(key);
        expect(stored).toEqual({
          key,
          url: t.storage.getPublicUrl(key),
          size: 12,
          contentType: 'application/json',
          etag: info.etag,
          visibility,
          metadata: { owner: 'user-123' },
          cacheControl: 'public, max-age=60',
        });
        expect(info).toMatchObject({
          size: stored.size,
          contentType: stored.contentType,
          metadata: stored.metadata,
          cacheControl: stored.cacheControl,
          visibility: stored.visibility,
        });
      }
      const plain = await t.storage.put('attr/put/default.bin', 'x', 'application/octet-stream');
      expect(plain).toMatchObject({
        visibility: (await t.storage.stat('attr/put/default.bin')).visibility,
      });
      expect(plain.metadata).toEqual({});
      expect(plain.cacheControl).toBeUndefined();
    });

    it('keeps a content type that differs from the extension', async () => {
      await t.storage.upload('attr/photo.txt', 'not really text', 'image/png');
      expect((await t.storage.stat('attr/photo.txt')).contentType).toBe('image/png');
    });

    it('replaces attributes on overwrite', async () => {
      await t.storage.upload('attr/b.bin', 'one', 'text/csv', {
        metadata: { v: '1' },
        cacheControl: 'no-cache',
      });
      await t.storage.upload('attr/b.bin', 'second', 'image/gif');
      const info = await t.storage.stat('attr/b.bin');
      expect(info.contentType).toBe('image/gif');
      expect(info.metadata).toEqual({});
      expect(info.cacheControl).toBeUndefined();
    });

    it('returns stored attributes from list when asked', async () => {
      await t.storage.upload('attr/c/x.dat', 'x', 'text/markdown', { metadata: { k: 'v' } });
      const page = await t.storage.list('attr/c/', { metadata: true });
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({
        key: 'attr/c/x.dat',
        contentType: 'text/markdown',
        metadata: { k: 'v' },
        size: 1,
      });
      const plain = await t.storage.list('attr/c/');
      expect(plain.items[0]).toMatchObject({ key: 'attr/c/x.dat', size: 1, metadata: {} });
    });

    it('changes the etag when the content changes', async () => {
      await t.storage.upload('attr/e.txt', 'aaaa', 'text/plain');
      const first = (await t.storage.stat('attr/e.txt')).etag;
      await t.storage.upload('attr/e.txt', 'bbbbbbbb', 'text/plain');
      expect((await t.storage.stat('attr/e.txt')).etag).not.toBe(first);
    });
  });
}
