import type { StorageAdapter } from '@monorepo/storage-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectCode, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: missing keys. */
export function missingKeySuite(t: ContractContext): void {
  describe('missing keys', () => {
    let storage: StorageAdapter;
    beforeEach(() => {
      storage = t.storage;
    });
    it('throws ENOENT from download, downloadStream, stat, copy and move', async () => {
      await expectCode(storage.download('missing/a'), 'ENOENT');
      await expectCode(storage.downloadStream('missing/a'), 'ENOENT');
      await expectCode(storage.downloadStream('missing/a', { start: 0, end: 1 }), 'ENOENT');
      await expectCode(storage.stat('missing/a'), 'ENOENT');
      await expectCode(storage.copy('missing/a', 'missing/b'), 'ENOENT');
      await expectCode(storage.move('missing/a', 'missing/b'), 'ENOENT');
      expect(await storage.exists('missing/b')).toBe(false);
    });

    it('treats a prefix as no object', async () => {
      await storage.upload('dir/inside.txt', 'x', 'text/plain');
      expect(await storage.exists('dir')).toBe(false);
      await expectCode(storage.download('dir'), 'ENOENT');
      await expectCode(storage.stat('dir'), 'ENOENT');
    });

    it('deletes idempotently', async () => {
      await storage.delete('never/was');
      await storage.upload('del/me.txt', 'x', 'text/plain');
      expect(await storage.exists('del/me.txt')).toBe(true);
      await storage.delete('del/me.txt');
      expect(await storage.exists('del/me.txt')).toBe(false);
      await storage.delete('del/me.txt');
      expect(await keysOf(storage)).toEqual([]);
    });
  });
}
