import { describe, expect, it } from 'vitest';
import { expectCode, inParallel, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: copy move. */
export function copyMoveSuite(t: ContractContext): void {
  describe('copy, move, deletePrefix', () => {
    it('copies content and attributes, leaving the source', async () => {
      await t.storage.upload('cp/src.bin', 'payload', 'application/x-custom', {
        metadata: { a: '1' },
        cacheControl: 'max-age=5',
      });
      await t.storage.copy('cp/src.bin', 'cp/deep/dst.bin');
      expect((await t.storage.download('cp/deep/dst.bin')).toString()).toBe('payload');
      expect(await t.storage.stat('cp/deep/dst.bin')).toMatchObject({
        contentType: 'application/x-custom',
        metadata: { a: '1' },
        cacheControl: 'max-age=5',
      });
      expect((await t.storage.download('cp/src.bin')).toString()).toBe('payload');
    });

    it('copy replaces an existing destination', async () => {
      await t.storage.upload('cp/a.txt', 'A', 'text/plain');
      await t.storage.upload('cp/b.txt', 'BBBB', 'text/csv');
      await t.storage.copy('cp/a.txt', 'cp/b.txt');
      expect((await t.storage.download('cp/b.txt')).toString()).toBe('A');
      expect((await t.storage.stat('cp/b.txt')).contentType).toBe('text/plain');
    });

    it('moves content and attributes, removing the source', async () => {
      await t.storage.upload('mv/src.txt', 'moving', 'text/x-custom', { metadata: { m: 'yes' } });
      await t.storage.move('mv/src.txt', 'mv/other/dst.txt');
      expect(await t.storage.exists('mv/src.txt')).toBe(false);
      expect((await t.storage.download('mv/other/dst.txt')).toString()).toBe('moving');
      expect(await t.storage.stat('mv/other/dst.txt')).toMatchObject({
        contentType: 'text/x-custom',
        metadata: { m: 'yes' },
      });
      expect(await keysOf(t.storage)).toEqual(['mv/other/dst.txt']);
    });

    it('moving a key onto itself keeps it', async () => {
      await t.storage.upload('mv/same.txt', 'same', 'text/plain');
      await t.storage.move('mv/same.txt', 'mv/same.txt');
      expect((await t.storage.download('mv/same.txt')).toString()).toBe('same');
    });

    it('deletes a prefix and counts what it deleted', async () => {
      const doomed = Array.from({ length: 25 }, (_, i) => `dp/x/${i % 3}/${i}.txt`);
      await inParallel([...doomed, 'dp/xy.txt', 'dp/keep.txt', 'dpx.txt'], 8, (key) =>
        t.storage.upload(key, 'x', 'text/plain'),
      );
      expect(await t.storage.deletePrefix('dp/x/')).toBe(25);
      expect(await keysOf(t.storage)).toEqual(['dp/keep.txt', 'dp/xy.txt', 'dpx.txt']);
      expect(await t.storage.deletePrefix('dp/x/')).toBe(0);
      expect(await t.storage.deletePrefix('dp/x')).toBe(1);
      await expectCode(t.storage.deletePrefix(''), 'EINVAL');
      expect(await keysOf(t.storage)).toEqual(['dp/keep.txt', 'dpx.txt']);
    });
  });
}
