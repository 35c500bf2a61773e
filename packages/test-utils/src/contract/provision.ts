import type { StorageAdapter } from '@monorepo/storage-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectCode } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: capabilities and provisioning. */
export function provisionSuite(t: ContractContext): void {
  describe('capabilities and provisioning', () => {
    let storage: StorageAdapter;
    beforeEach(() => {
      storage = t.storage;
    });

    it('answers every capability flag', () => {
      const { capabilities } = storage;
      for (const flag of [
        'signedUrls',
        'publicReadPolicy',
        'atomicOverwrite',
        'keyPrefixConflicts',
      ] as const)
        expect(typeof capabilities[flag], flag).toBe('boolean');
      expect(capabilities.maxSegmentBytes === undefined || capabilities.maxSegmentBytes > 0).toBe(
        true,
      );
      expect(typeof storage.getSignedUrl === 'function' || !capabilities.signedUrls).toBe(true);
    });

    it('provisions idempotently and keeps stored objects', async () => {
      await storage.upload('kept/a.txt', 'kept', 'text/plain');
      const first = await storage.provision({ folders: ['uploads', 'processed'] });
      const second = await storage.provision({ folders: ['uploads', 'processed'] });
      expect(typeof first.created).toBe('boolean');
      expect(second.created).toBe(false);
      expect((await storage.download('kept/a.txt')).toString()).toBe('kept');
      await storage.upload('uploads/u/after.txt', 'after', 'text/plain');
      expect(await storage.exists('uploads/u/after.txt')).toBe(true);
    });

    it('refuses bad folders with EINVAL, and public prefixes where the store cannot serve', async () => {
      await expectCode(storage.provision({ folders: ['../escape'] }), 'EINVAL');
      if (!storage.capabilities.publicReadPolicy)
        await expectCode(storage.provision({ publicPrefixes: ['processed/'] }), 'ECONFIG');
    });

    it('names objects at the store itself only where it serves them', () => {
      if (storage.capabilities.publicReadPolicy)
        expect(new URL(storage.getOriginUrl!('a/b c.txt')).pathname.endsWith('/a/b%20c.txt')).toBe(
          true,
        );
      else expect(() => storage.getOriginUrl!('a/b.txt')).toThrow(/does not support/);
    });
  });
}
