import { setTimeout as sleep } from 'node:timers/promises';
import type { StorageAdapter } from '@monorepo/storage-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: leftovers. */
export function leftoverSuite(t: ContractContext): void {
  describe('leftovers of interrupted writes', () => {
    let storage: StorageAdapter;
    beforeEach(() => {
      storage = t.storage;
    });
    it('sweepIncomplete removes old leftovers, keeps recent ones, and never touches objects', async (ctx) => {
      if (!t.leaveIncomplete) return ctx.skip();
      await storage.upload('sweep/kept.txt', 'kept', 'text/plain', { metadata: { a: 'b' } });
      await t.leaveIncomplete();
      await t.leaveIncomplete();
      // Recent leftovers may belong to a write still running: kept.
      expect(await storage.sweepIncomplete({ olderThanMs: 60 * 60 * 1000 })).toBe(0);
      expect(await storage.sweepIncomplete()).toBe(0);
      await sleep(1_100); // server clocks may round the start time up to the second
      expect(await storage.sweepIncomplete({ olderThanMs: 0 })).toBe(2);
      expect(await storage.sweepIncomplete({ olderThanMs: 0 })).toBe(0);
      expect(await keysOf(storage)).toEqual(['sweep/kept.txt']);
      expect(await storage.stat('sweep/kept.txt')).toMatchObject({ metadata: { a: 'b' } });
    });

    it('sweepIncomplete finds nothing to remove in a clean keyspace', async () => {
      await storage.upload('sweep/a.txt', 'a', 'text/plain');
      expect(await storage.sweepIncomplete({ olderThanMs: 0 })).toBe(0);
    });
  });
}
