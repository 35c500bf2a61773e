import { describe, expect, it } from 'vitest';
import { expectCode } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: capabilities and provisioning. */
export function provisionSuite(t: ContractContext): void {
  describe('capabilities and provisioning', () => {
    it('answers every capability flag', () => {
      const { capabilities } = t.storage;
      for (const flag of [
        'signedUrls',
        'directUploads',
        'directMultipart',
        'publicReadPolicy',
        'atomicOverwrite',
        'keyPrefixConflicts',
      ] as const)
        expect(typeof capabilities[flag], flag).toBe('boolean');
      expect(capabilities.maxSegmentBytes === undefined || capabilities.maxSegmentBytes > 0).toBe(
        true,
      );
      expect(typeof t.storage.getSignedUrl === 'function' || !capabilities.signedUrls).toBe(true);
    });

    it('provisions idempotently and keeps stored objects', async () => {
      await t.storage.upload('kept/a.txt', 'kept', 'text/plain');
      const first = await t.storage.provision({ folders: ['uploads', 'processed'] });
      const second = await t.storage.provision({ folders: ['uploads', 'processed'] });
      expect(typeof first.created).toBe('boolean');
      expect(second.created).toBe(false);
      expect((await t.storage.download('kept/a.txt')).toString()).toBe('kept');
      await t.storage.upload('uploads/u/after.txt', 'after', 'text/plain');
      expect(await t.storage.exists('uploads/u/after.txt')).toBe(true);
    });

    it('refuses bad folders with EINVAL, and public reads where the store cannot serve', async () => {
      await expectCode(t.storage.provision({ folders: ['../escape'] }), 'EINVAL');
      if (!t.storage.capabilities.publicReadPolicy)
        await expectCode(t.storage.provision({ publicRead: true }), 'ECONFIG');
    });

    it('names objects at the store itself only where it serves them', () => {
      if (t.storage.capabilities.publicReadPolicy)
        expect(
          new URL(t.storage.getOriginUrl!('a/b c.txt')).pathname.endsWith('/a/b%20c.txt'),
        ).toBe(true);
      else expect(() => t.storage.getOriginUrl!('a/b.txt')).toThrow(/does not support/);
    });
  });
}
