import { describe, expect, it } from 'vitest';
import { expectCode, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: missing keys. */
export function missingKeySuite(t: ContractContext): void {
  describe('missing keys', () => {
    it('throws ENOENT from download, downloadStream, stat, copy and move', async () => {
      await expectCode(t.storage.download('missing/a'), 'ENOENT');
      await expectCode(t.storage.downloadStream('missing/a'), 'ENOENT');
      await expectCode(t.storage.downloadStream('missing/a', { start: 0, end: 1 }), 'ENOENT');
      await expectCode(t.storage.stat('missing/a'), 'ENOENT');
      await expectCode(t.storage.copy('missing/a', 'missing/b'), 'ENOENT');
      await expectCode(t.storage.move('missing/a', 'missing/b'), 'ENOENT');
      expect(await t.storage.exists('missing/b')).toBe(false);
    });

    it('treats a prefix as no object', async () => {
      await t.storage.upload('dir/inside.txt', 'x', 'text/plain');
      expect(await t.storage.exists('dir')).toBe(false);
      await expectCode(t.storage.download('dir'), 'ENOENT');
      await expectCode(t.storage.stat('dir'), 'ENOENT');
    });

    it('deletes idempotently', async () => {
      await t.storage.delete('never/was');
      await t.storage.upload('del/me.txt', 'x', 'text/plain');
      expect(await t.storage.exists('del/me.txt')).toBe(true);
      await t.storage.delete('del/me.txt');
      expect(await t.storage.exists('del/me.txt')).toBe(false);
      await t.storage.delete('del/me.txt');
      expect(await keysOf(t.storage)).toEqual([]);
    });
  });
}
