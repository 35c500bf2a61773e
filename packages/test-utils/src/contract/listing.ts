import { compareKeys } from '@monorepo/storage-core';
import type { ObjectInfo } from '@monorepo/storage-core';
import { describe, expect, it } from 'vitest';
import { collect, expectCode, inParallel, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: listing. */
export function listingSuite(t: ContractContext): void {
  describe('listing', () => {
    it('lists in byte-wise order and pages with a cursor over more than 1000 keys', async () => {
      const count = t.options.pagingKeys ?? 1100;
      const stems = ['a', 'A', 'a-b', 'a/b', 'a.b', 'b', 'z', 'é', '中', '😀', '_', '~', '0'];
      const keys = Array.from(
        { length: count },
        (_, i) => `page/${stems[i % stems.length]}/${i}/${stems[(i * 7) % stems.length]}`,
      );
      await inParallel(keys, 16, (key) => t.storage.upload(key, 'x', 'text/plain'));
      const expected = [...keys].sort(compareKeys);

      const first = await t.storage.list('page/');
      expect(first.items).toHaveLength(1000);
      expect(first.cursor).toBeTypeOf('string');
      const second = await t.storage.list('page/', { cursor: first.cursor! });
      expect(second.cursor).toBeUndefined();
      expect([...first.items, ...second.items].map((i) => i.key)).toEqual(expected);

      const paged: ObjectInfo[] = [];
      let cursor: string | undefined;
      do {
        const page = await t.storage.list('page/', cursor ? { limit: 97, cursor } : { limit: 97 });
        expect(page.items.length).toBeLessThanOrEqual(97);
        paged.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
      expect(paged.map((i) => i.key)).toEqual(expected);
      expect((await collect(t.storage.listAll('page/'))).map((i) => i.key)).toEqual(expected);
    });

    it('isolates prefixes byte-wise', async () => {
      for (const key of ['a/x', 'a/y/z', 'ab', 'abc/d', 'b'])
        await t.storage.upload(key, key, 'text/plain');
      expect(await keysOf(t.storage, 'a/')).toEqual(['a/x', 'a/y/z']);
      expect(await keysOf(t.storage, 'a')).toEqual(['a/x', 'a/y/z', 'ab', 'abc/d']);
      expect(await keysOf(t.storage, 'ab')).toEqual(['ab', 'abc/d']);
      expect(await keysOf(t.storage, 'a/y')).toEqual(['a/y/z']);
      expect(await keysOf(t.storage, 'nothing/')).toEqual([]);
      expect(await keysOf(t.storage)).toEqual(['a/x', 'a/y/z', 'ab', 'abc/d', 'b']);
      expect((await t.storage.list('a/', { limit: 1 })).items.map((i) => i.key)).toEqual(['a/x']);
    });

    it('reports size and etag in list items', async () => {
      await t.storage.upload('sz/one.txt', '12345', 'text/plain');
      const [item] = (await t.storage.list('sz/')).items;
      expect(item).toMatchObject({ key: 'sz/one.txt', size: 5 });
      expect(item!.etag).toBe((await t.storage.stat('sz/one.txt')).etag);
    });

    it('rejects bad limits, cursors and prefixes with EINVAL', async () => {
      await expectCode(t.storage.list('', { limit: 0 }), 'EINVAL');
      await expectCode(t.storage.list('', { limit: 1001 }), 'EINVAL');
      await expectCode(t.storage.list('', { cursor: 'not a cursor!' }), 'EINVAL');
      await expectCode(t.storage.list('../'), 'EINVAL');
      await expectCode(collect(t.storage.listAll('/abs')), 'EINVAL');
    });
  });
}
