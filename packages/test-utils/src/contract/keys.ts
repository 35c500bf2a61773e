import { compareKeys } from '@monorepo/storage-core';
import type { StorageAdapter } from '@monorepo/storage-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { INVALID_KEYS, WEIRD_KEYS } from '../contract-fixtures.js';
import { expectCode, expectCodeSync, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: keys. */
export function keySuite(t: ContractContext): void {
  describe('keys', () => {
    let storage: StorageAdapter;
    beforeEach(() => {
      storage = t.storage;
    });
    // Keys the backend can hold: segments within its limit (filesystems: 255 bytes).
    const storable = () =>
      WEIRD_KEYS.filter((key) =>
        key
          .split('/')
          .every((s) => Buffer.byteLength(s) <= (storage.capabilities.maxSegmentBytes ?? Infinity)),
      );

    it('stores, lists and serves weird and Unicode keys exactly', async () => {
      const weird = storable();
      for (const [i, key] of weird.entries()) {
        await storage.upload(key, `content ${i}`, 'text/plain');
      }
      for (const [i, key] of weird.entries()) {
        expect(await storage.exists(key), key).toBe(true);
        expect((await storage.download(key)).toString(), key).toBe(`content ${i}`);
        expect((await storage.stat(key)).key).toBe(key);
        const url = new URL(storage.getPublicUrl(key));
        const path = url.pathname.split('/').map(decodeURIComponent).join('/');
        expect(path.endsWith(`/${key}`), `${key} -> ${url.href}`).toBe(true);
        expect(url.search).toBe('');
        expect(url.hash).toBe('');
      }
      const expected = [...weird].sort(compareKeys);
      expect(await keysOf(storage)).toEqual(expected);
      for (const key of weird) await storage.delete(key);
      expect(await keysOf(storage)).toEqual([]);
    });

    it('keeps NFC and NFD spellings apart', async () => {
      await storage.upload('n/\u00e9', 'nfc', 'text/plain');
      await storage.upload('n/e\u0301', 'nfd', 'text/plain');
      expect((await storage.download('n/\u00e9')).toString()).toBe('nfc');
      expect((await storage.download('n/e\u0301')).toString()).toBe('nfd');
    });

    it('rejects every invalid key with EINVAL and touches nothing', async () => {
      await storage.upload('keep/me.txt', 'kept', 'text/plain');
      for (const key of INVALID_KEYS) {
        await expectCode(storage.upload(key, 'x', 'text/plain'), 'EINVAL');
        await expectCode(storage.download(key), 'EINVAL');
        await expectCode(storage.downloadStream(key), 'EINVAL');
        await expectCode(storage.exists(key), 'EINVAL');
        await expectCode(storage.delete(key), 'EINVAL');
        await expectCode(storage.stat(key), 'EINVAL');
        await expectCode(storage.copy('keep/me.txt', key), 'EINVAL');
        await expectCode(storage.copy(key, 'keep/copy.txt'), 'EINVAL');
        await expectCode(storage.move('keep/me.txt', key), 'EINVAL');
        await expectCode(storage.move(key, 'keep/moved.txt'), 'EINVAL');
        expectCodeSync(() => storage.getPublicUrl(key), 'EINVAL');
      }
      expect(await keysOf(storage)).toEqual(['keep/me.txt']);
      expect((await storage.download('keep/me.txt')).toString()).toBe('kept');
    });

    it('rejects non-string keys with EINVAL', async () => {
      await expectCode(storage.upload(undefined as unknown as string, 'x', 'text/plain'), 'EINVAL');
      await expectCode(storage.download(42 as unknown as string), 'EINVAL');
    });

    it('percent-encodes public URLs segment by segment', () => {
      const url = storage.getPublicUrl('dir one/file #1?.txt');
      expect(url.endsWith('/dir%20one/file%20%231%3F.txt')).toBe(true);
      expect(storage.getPublicUrl('a/b/c.jpg').endsWith('/a/b/c.jpg')).toBe(true);
    });

    it('refuses a key that is also a directory, with EINVAL (documented capability)', async (ctx) => {
      if (!storage.capabilities.keyPrefixConflicts) return ctx.skip();
      await storage.upload('conflict/a/b', 'x', 'text/plain');
      await expectCode(storage.upload('conflict/a', 'y', 'text/plain'), 'EINVAL');
      expect(await keysOf(storage)).toEqual(['conflict/a/b']);
    });

    it('stores a key and keys below it side by side', async (ctx) => {
      if (storage.capabilities.keyPrefixConflicts) return ctx.skip();
      await storage.upload('conflict/a/b', 'x', 'text/plain');
      await storage.upload('conflict/a', 'y', 'text/plain');
      expect(await keysOf(storage)).toEqual(['conflict/a', 'conflict/a/b']);
    });
  });
}
