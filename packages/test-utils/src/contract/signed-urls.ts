import { describe, expect, it } from 'vitest';
import { expectCode } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: signed urls. */
export function signedUrlSuite(t: ContractContext): void {
  describe('signed URLs', () => {
    it('signs GET and PUT URLs', async (ctx) => {
      if (!t.storage.capabilities.signedUrls) return ctx.skip();
      await t.storage.upload('signed/a.txt', 'signed content', 'text/plain');
      const get = await t.storage.getSignedUrl!('signed/a.txt', { expiresIn: 60 });
      const put = await t.storage.getSignedUrl!('signed/b.txt', {
        method: 'PUT',
        contentType: 'text/plain',
        expiresIn: 60,
      });
      expect(new URL(get).searchParams.size).toBeGreaterThan(0);
      expect(new URL(put).searchParams.size).toBeGreaterThan(0);
      if (t.options.fetchSignedUrls) {
        const got = await fetch(get);
        expect(got.status).toBe(200);
        expect(await got.text()).toBe('signed content');
        const sent = await fetch(put, {
          method: 'PUT',
          body: 'uploaded directly',
          headers: { 'content-type': 'text/plain' },
        });
        expect(sent.status).toBe(200);
        expect((await t.storage.download('signed/b.txt')).toString()).toBe('uploaded directly');
      }
    });

    it('rejects lifetimes out of range with ECONFIG', async () => {
      // Checked before the capability: a backend without signed URLs refuses with ECONFIG too.
      await expectCode(t.storage.getSignedUrl!('signed/a.txt', { expiresIn: 0 }), 'ECONFIG');
      await expectCode(t.storage.getSignedUrl!('signed/a.txt', { expiresIn: 604801 }), 'ECONFIG');
      await expectCode(t.storage.getSignedUrl!('../x'), 'EINVAL');
    });

    it('refuses to sign, with ECONFIG, where the backend cannot', async (ctx) => {
      if (t.storage.capabilities.signedUrls) return ctx.skip();
      await expectCode(t.storage.getSignedUrl!('signed/a.txt'), 'ECONFIG');
    });
  });
}
