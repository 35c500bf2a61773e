import { compareKeys } from '@monorepo/storage-core';
import type { ObjectInfo, StorageAdapter } from '@monorepo/storage-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { collect, expectCode, inParallel, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: listing. */
export function listingSuite(t: ContractContext): void {
  describe('listing', () => {
    let storage: StorageAdapter;
    beforeEach(() => {
      storage = t.storage;
    });
    it('lists in byte-wise order and pages with a cursor over more than 1000 keys', async () => {
      const count = t.options.pagingKeys ?? 1100;
      const stems = ['a', 'A', 'a-b', 'a/b', 'a.b', 'b', 'z', 'é', '中', '😀', '_', '~', '0'];
      const keys = Array.from(
        { length: count },
        (_, i) => `page/${stems[i % stems.length]}/${i}/${stems[(i * 7) % stems.length]}`,
      );
      await inParallel(keys, 16, (key) => storage.upload(key, 'x', 'text/plain'));
      const expected = [...keys].sort(compareKeys);

      const first = await storage.list('page/');
      expect(first.items).toHaveLength(1000);
      expect(first.cursor).toBeTypeOf('string');
      const second = await storage.list('page/', { cursor: first.cursor! });
      expect(second.cursor).toBeUndefined();
      expect([...first.items, ...second.items].map((i) => i.key)).toEqual(expected);

      const paged: ObjectInfo[] = [];
      let cursor: string | undefined;
      do {
        const page = await storage.list('page/', cursor ? { limit: 97, cursor } : { limit: 97 });
        expect(page.items.length).toBeLessThanOrEqual(97);
        paged.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
      expect(paged.map((i) => i.key)).toEqual(expected);
      expect((await collect(storage.listAll('page/'))).map((i) => i.key)).toEqual(expected);
    });

    it('isolates prefixes byte-wise', async () => {
      for (const key of ['a/x', 'a/y/z', 'ab', 'abc/d', 'b'])
        await storage.upload(key, key, 'text/plain');
      expect(await keysOf(storage, 'a/')).toEqual(['a/x', 'a/y/z']);
      expect(await keysOf(storage, 'a')).toEqual(['a/x', 'a/y/z', 'ab', 'abc/d']);
      expect(await keysOf(storage, 'ab')).toEqual(['ab', 'abc/d']);
      expect(await keysOf(storage, 'a/y')).toEqual(['a/y/z']);
      expect(await keysOf(storage, 'nothing/')).toEqual([]);
      expect(await keysOf(storage)).toEqual(['a/x', 'a/y/z', 'ab', 'abc/d', 'b']);
      expect((await storage.list('a/', { limit: 1 })).items.map((i) => i.key)).toEqual(['a/x']);
    });

    it('reports size and etag in list items', async () => {
      await storage.upload('sz/one.txt', '12345', 'text/plain');
      const [item] = (await storage.list('sz/')).items;
      expect(item).toMatchObject({ key: 'sz/one.txt', size: 5 });
      expect(item!.etag).toBe((await storage.stat('sz/one.txt')).etag);
    });

    it('rejects bad limits, cursors and prefixes with EINVAL', async () => {
      await expectCode(storage.list('', { limit: 0 }), 'EINVAL');
      await expectCode(storage.list('', { limit: 1001 }), 'EINVAL');
      await expectCode(storage.list('', { cursor: 'not a cursor!' }), 'EINVAL');
      await expectCode(storage.list('../'), 'EINVAL');
      await expectCode(collect(storage.listAll('/abs')), 'EINVAL');
    });
  });
}
