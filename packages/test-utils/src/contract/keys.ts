import { compareKeys } from '@monorepo/storage-core';
import { describe, expect, it } from 'vitest';
import { skipForCapability } from '../skips.js';
import { INVALID_KEYS, WEIRD_KEYS } from '../contract-fixtures.js';
import { expectCode, expectCodeSync, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: keys. */
export function keySuite(t: ContractContext): void {
  describe('keys', () => {
    // Keys the backend can hold: segments within its limit (filesystems: 255 bytes).
    const storable = () =>
      WEIRD_KEYS.filter((key) =>
        key
          .split('/')
          .every(
            (s) => Buffer.byteLength(s) <= (t.storage.capabilities.maxSegmentBytes ?? Infinity),
          ),
      );

    it('stores, lists and serves weird and Unicode keys exactly', async () => {
      const weird = storable();
      for (const [i, key] of weird.entries()) {
        await t.storage.upload(key, `content ${i}`, 'text/plain');
      }
      for (const [i, key] of weird.entries()) {
        expect(await t.storage.exists(key), key).toBe(true);
        expect((await t.storage.download(key)).toString(), key).toBe(`content ${i}`);
        expect((await t.storage.stat(key)).key).toBe(key);
        const url = new URL(t.storage.getPublicUrl(key));
        const path = url.pathname.split('/').map(decodeURIComponent).join('/');
        expect(path.endsWith(`/${key}`), `${key} -> ${url.href}`).toBe(true);
        expect(url.search).toBe('');
        expect(url.hash).toBe('');
      }
      const expected = [...weird].sort(compareKeys);
      expect(await keysOf(t.storage)).toEqual(expected);
      for (const key of weird) await t.storage.delete(key);
      expect(await keysOf(t.storage)).toEqual([]);
    });

    it('keeps NFC and NFD spellings apart', async () => {
      await t.storage.upload('n/\u00e9', 'nfc', 'text/plain');
      await t.storage.upload('n/e\u0301', 'nfd', 'text/plain');
      expect((await t.storage.download('n/\u00e9')).toString()).toBe('nfc');
      expect((await t.storage.download('n/e\u0301')).toString()).toBe('nfd');
    });

    it('rejects every invalid key with EINVAL and touches nothing', async () => {
      await t.storage.upload('keep/me.txt', 'kept', 'text/plain');
      for (const key of INVALID_KEYS) {
        await expectCode(t.storage.upload(key, 'x', 'text/plain'), 'EINVAL');
        await expectCode(t.storage.download(key), 'EINVAL');
        await expectCode(t.storage.downloadStream(key), 'EINVAL');
        await expectCode(t.storage.exists(key), 'EINVAL');
        await expectCode(t.storage.delete(key), 'EINVAL');
        await expectCode(t.storage.stat(key), 'EINVAL');
        await expectCode(t.storage.copy('keep/me.txt', key), 'EINVAL');
        await expectCode(t.storage.copy(key, 'keep/copy.txt'), 'EINVAL');
        await expectCode(t.storage.move('keep/me.txt', key), 'EINVAL');
        await expectCode(t.storage.move(key, 'keep/moved.txt'), 'EINVAL');
        expectCodeSync(() => t.storage.getPublicUrl(key), 'EINVAL');
      }
      expect(await keysOf(t.storage)).toEqual(['keep/me.txt']);
      expect((await t.storage.download('keep/me.txt')).toString()).toBe('kept');
    });

    it('rejects non-string keys with EINVAL', async () => {
      await expectCode(
        t.storage.upload(undefined as unknown as string, 'x', 'text/plain'),
        'EINVAL',
      );
      await expectCode(t.storage.download(42 as unknown as string), 'EINVAL');
    });

    it('percent-encodes public URLs segment by segment', () => {
      const url = t.storage.getPublicUrl('dir one/file #1?.txt');
      expect(url.endsWith('/dir%20one/file%20%231%3F.txt')).toBe(true);
      expect(t.storage.getPublicUrl('a/b/c.jpg').endsWith('/a/b/c.jpg')).toBe(true);
    });

    it('refuses a key that is also a directory, with EINVAL (documented capability)', async (ctx) => {
      if (!t.storage.capabilities.keyPrefixConflicts)
        return skipForCapability(ctx, 'a key and keys below it coexist (no keyPrefixConflicts)');
      await t.storage.upload('conflict/a/b', 'x', 'text/plain');
      await expectCode(t.storage.upload('conflict/a', 'y', 'text/plain'), 'EINVAL');
      expect(await keysOf(t.storage)).toEqual(['conflict/a/b']);
    });

    it('stores a key and keys below it side by side', async (ctx) => {
      if (t.storage.capabilities.keyPrefixConflicts)
        return skipForCapability(ctx, 'a key cannot also be a directory (keyPrefixConflicts)');
      await t.storage.upload('conflict/a/b', 'x', 'text/plain');
      await t.storage.upload('conflict/a', 'y', 'text/plain');
      expect(await keysOf(t.storage)).toEqual(['conflict/a', 'conflict/a/b']);
    });
  });
}
