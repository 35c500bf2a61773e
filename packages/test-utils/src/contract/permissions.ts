import { describe, expect, it } from 'vitest';
import { skipForCapability } from '../skips.js';
import { expectCode, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: permissions. */
export function permissionSuite(t: ContractContext): void {
  describe('permissions', () => {
    it('reports a refused read as EACCES, never as a missing object', async (ctx) => {
      if (!t.withoutPermission)
        return skipForCapability(ctx, 'the target cannot refuse access (withoutPermission)');
      await t.storage.upload('perm/a.txt', 'secret', 'text/plain');
      await t.withoutPermission(async (denied) => {
        await expectCode(denied.exists('perm/a.txt'), 'EACCES');
        await expectCode(denied.exists('perm/missing.txt'), 'EACCES');
        await expectCode(denied.stat('perm/a.txt'), 'EACCES');
        await expectCode(denied.download('perm/a.txt'), 'EACCES');
        await expectCode(denied.checkHealth(), 'EACCES');
      });
      expect((await t.storage.download('perm/a.txt')).toString()).toBe('secret');
    });

    it('passes its health check when the backend is usable', async () => {
      await t.storage.checkHealth();
      expect(await keysOf(t.storage)).toEqual([]);
    });
  });
}
