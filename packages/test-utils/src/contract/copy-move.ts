import type { StorageAdapter } from '@monorepo/storage-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectCode, inParallel, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: copy move. */
export function copyMoveSuite(t: ContractContext): void {
  describe('copy, move, deletePrefix', () => {
    let storage: StorageAdapter;
    beforeEach(() => {
      storage = t.storage;
    });
    it('copies content and attributes, leaving the source', async () => {
      await storage.upload('cp/src.bin', 'payload', 'application/x-custom', {
        metadata: { a: '1' },
        cacheControl: 'max-age=5',
      });
      await storage.copy('cp/src.bin', 'cp/deep/dst.bin');
      expect((await storage.download('cp/deep/dst.bin')).toString()).toBe('payload');
      expect(await storage.stat('cp/deep/dst.bin')).toMatchObject({
        contentType: 'application/x-custom',
        metadata: { a: '1' },
        cacheControl: 'max-age=5',
      });
      expect((await storage.download('cp/src.bin')).toString()).toBe('payload');
    });

    it('copy replaces an existing destination', async () => {
      await storage.upload('cp/a.txt', 'A', 'text/plain');
      await storage.upload('cp/b.txt', 'BBBB', 'text/csv');
      await storage.copy('cp/a.txt', 'cp/b.txt');
      expect((await storage.download('cp/b.txt')).toString()).toBe('A');
      expect((await storage.stat('cp/b.txt')).contentType).toBe('text/plain');
    });

    it('moves content and attributes, removing the source', async () => {
      await storage.upload('mv/src.txt', 'moving', 'text/x-custom', { metadata: { m: 'yes' } });
      await storage.move('mv/src.txt', 'mv/other/dst.txt');
      expect(await storage.exists('mv/src.txt')).toBe(false);
      expect((await storage.download('mv/other/dst.txt')).toString()).toBe('moving');
      expect(await storage.stat('mv/other/dst.txt')).toMatchObject({
        contentType: 'text/x-custom',
        metadata: { m: 'yes' },
      });
      expect(await keysOf(storage)).toEqual(['mv/other/dst.txt']);
    });

    it('moving a key onto itself keeps it', async () => {
      await storage.upload('mv/same.txt', 'same', 'text/plain');
      await storage.move('mv/same.txt', 'mv/same.txt');
      expect((await storage.download('mv/same.txt')).toString()).toBe('same');
    });

    it('deletes a prefix and counts what it deleted', async () => {
      const doomed = Array.from({ length: 25 }, (_, i) => `dp/x/${i % 3}/${i}.txt`);
      await inParallel([...doomed, 'dp/xy.txt', 'dp/keep.txt', 'dpx.txt'], 8, (key) =>
        storage.upload(key, 'x', 'text/plain'),
      );
      expect(await storage.deletePrefix('dp/x/')).toBe(25);
      expect(await keysOf(storage)).toEqual(['dp/keep.txt', 'dp/xy.txt', 'dpx.txt']);
      expect(await storage.deletePrefix('dp/x/')).toBe(0);
      expect(await storage.deletePrefix('dp/x')).toBe(1);
      await expectCode(storage.deletePrefix(''), 'EINVAL');
      expect(await keysOf(storage)).toEqual(['dp/keep.txt', 'dpx.txt']);
    });
  });
}
