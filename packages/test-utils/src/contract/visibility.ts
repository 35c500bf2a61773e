import type { Visibility } from '@monorepo/storage-core';
import { describe, expect, it } from 'vitest';
import { expectCode, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: visibility. */
export function visibilitySuite(t: ContractContext): void {
  describe('visibility', () => {
    const visibilityOf = async (key: string): Promise<Visibility | undefined> =>
      (await t.storage.stat(key)).visibility;

    it('follows the key layout by default: uploads private, job outputs public', async () => {
      await t.storage.upload('uploads/u/a.txt', 'a', 'text/plain');
      await t.storage.upload('processed/dall-e/u/j/n.jpg', 'n', 'image/jpeg');
      await t.storage.upload('elsewhere/b.txt', 'b', 'text/plain');
      expect(await visibilityOf('uploads/u/a.txt')).toBe('private');
      expect(await visibilityOf('processed/dall-e/u/j/n.jpg')).toBe('public');
      expect(await visibilityOf('elsewhere/b.txt')).toBe('private');
    });

    it('stores an explicit visibility, changes it at once, and an overwrite sets it anew', async () => {
      const key = 'processed/dall-e/u/j/secret.jpg';
      await t.storage.upload(key, 'v1', 'image/jpeg', { visibility: 'private' });
      expect(await visibilityOf(key)).toBe('private');
      await t.storage.setVisibility(key, 'public');
      expect(await visibilityOf(key)).toBe('public');
      await t.storage.setVisibility(key, 'private');
      expect(await visibilityOf(key)).toBe('private');
      expect((await t.storage.download(key)).toString()).toBe('v1');
      await t.storage.upload(key, 'v2', 'image/jpeg');
      expect(await visibilityOf(key)).toBe('public');
      await t.storage.upload('uploads/u/shared.txt', 'x', 'text/plain', { visibility: 'public' });
      expect(await visibilityOf('uploads/u/shared.txt')).toBe('public');
      // Markers or tags never show up as objects.
      expect(await keysOf(t.storage)).toEqual([key, 'uploads/u/shared.txt']);
    });

    it('keeps visibility through copy and move', async () => {
      await t.storage.upload('processed/t/u/j/a.jpg', 'a', 'image/jpeg', { visibility: 'private' });
      await t.storage.copy('processed/t/u/j/a.jpg', 'processed/t/u/j/b.jpg');
      await t.storage.move('processed/t/u/j/a.jpg', 'processed/t/u/k/c.jpg');
      expect(await visibilityOf('processed/t/u/j/b.jpg')).toBe('private');
      expect(await visibilityOf('processed/t/u/k/c.jpg')).toBe('private');
      await t.storage.delete('processed/t/u/k/c.jpg');
      await t.storage.upload('processed/t/u/k/c.jpg', 'again', 'image/jpeg');
      expect(await visibilityOf('processed/t/u/k/c.jpg')).toBe('public');
    });

    it('refuses a missing key with ENOENT and a bad value with EINVAL', async () => {
      await expectCode(t.storage.setVisibility('processed/t/u/j/none.jpg', 'private'), 'ENOENT');
      await t.storage.upload('uploads/u/a.txt', 'a', 'text/plain');
      await expectCode(
        t.storage.setVisibility('uploads/u/a.txt', 'secret' as Visibility),
        'EINVAL',
      );
      await expectCode(
        t.storage.upload('uploads/u/b.txt', 'b', 'text/plain', {
          visibility: 'hidden' as Visibility,
        }),
        'EINVAL',
      );
    });
  });
}
