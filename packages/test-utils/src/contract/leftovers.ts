import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { skipForCapability } from '../skips.js';
import { keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: leftovers. */
export function leftoverSuite(t: ContractContext): void {
  describe('leftovers of interrupted writes', () => {
    it('sweepIncomplete removes old leftovers, keeps recent ones, and never touches objects', async (ctx) => {
      if (!t.leaveIncomplete)
        return skipForCapability(ctx, 'the target cannot leave an interrupted write');
      await t.storage.upload('sweep/kept.txt', 'kept', 'text/plain', { metadata: { a: 'b' } });
      await t.leaveIncomplete();
      await t.leaveIncomplete();
      // Recent leftovers may belong to a write still running: kept.
      expect(await t.storage.sweepIncomplete({ olderThanMs: 60 * 60 * 1000 })).toBe(0);
      expect(await t.storage.sweepIncomplete()).toBe(0);
      await sleep(1_100); // server clocks may round the start time up to the second
      expect(await t.storage.sweepIncomplete({ olderThanMs: 0 })).toBe(2);
      expect(await t.storage.sweepIncomplete({ olderThanMs: 0 })).toBe(0);
      expect(await keysOf(t.storage)).toEqual(['sweep/kept.txt']);
      expect(await t.storage.stat('sweep/kept.txt')).toMatchObject({ metadata: { a: 'b' } });
    });

    it('sweepIncomplete finds nothing to remove in a clean keyspace', async () => {
      await t.storage.upload('sweep/a.txt', 'a', 'text/plain');
      expect(await t.storage.sweepIncomplete({ olderThanMs: 0 })).toBe(0);
    });
  });
}
