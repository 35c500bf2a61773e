import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { skipForCapability } from '../skips.js';
import { pseudoRandomStream, sha256 } from '../contract-fixtures.js';
import { expectCode, keysOf } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: writes. */
export function writeSuite(t: ContractContext): void {
  describe('conditional and repeated writes', () => {
    it('ifNotExists creates once, then fails with EEXIST and keeps the original', async () => {
      await t.storage.upload('cond/a.txt', 'first', 'text/plain', { ifNotExists: true });
      await expectCode(
        t.storage.upload('cond/a.txt', 'second', 'text/plain', { ifNotExists: true }),
        'EEXIST',
      );
      await expectCode(
        t.storage.upload('cond/a.txt', pseudoRandomStream(10_000), 'text/plain', {
          ifNotExists: true,
        }),
        'EEXIST',
      );
      expect((await t.storage.download('cond/a.txt')).toString()).toBe('first');
      expect(await keysOf(t.storage, 'cond/')).toEqual(['cond/a.txt']);
    });

    it('overwrites', async () => {
      await t.storage.upload('ow/a.txt', 'a much longer first version', 'text/plain');
      await t.storage.upload('ow/a.txt', 'short', 'text/plain');
      expect((await t.storage.download('ow/a.txt')).toString()).toBe('short');
      expect((await t.storage.stat('ow/a.txt')).size).toBe(5);
    });

    it('never tears content under concurrent writers', async (ctx) => {
      if (!t.storage.capabilities.atomicOverwrite || t.options.serverTearsOverwrites)
        return skipForCapability(ctx, 'overwrites are not atomic on this target');
      const versions = Array.from({ length: 6 }, (_, i) =>
        Buffer.alloc(256 * 1024 + i * 1000, 65 + i),
      );
      const hashes = new Set(versions.map(sha256));
      await t.storage.upload('race/key.bin', versions[0]!, 'application/octet-stream');
      const seen: string[] = [];
      let writing = true;
      const reader = (async () => {
        while (writing) {
          seen.push(sha256(await t.storage.download('race/key.bin')));
          await sleep(1);
        }
      })();
      try {
        await Promise.all(
          versions.map((bytes, i) =>
            t.storage.upload(
              'race/key.bin',
              i % 2 ? Readable.from([bytes]) : bytes,
              'application/octet-stream',
            ),
          ),
        );
      } finally {
        writing = false;
        await reader;
      }
      expect(hashes.has(sha256(await t.storage.download('race/key.bin')))).toBe(true);
      for (const hash of seen) expect(hashes.has(hash)).toBe(true);
      expect(await keysOf(t.storage)).toEqual(['race/key.bin']);
    });

    it('stores nothing when the declared contentLength is wrong', async () => {
      await expect(
        t.storage.upload(
          'bad/len.bin',
          Readable.from([Buffer.alloc(1000)]),
          'application/octet-stream',
          {
            contentLength: 2000,
          },
        ),
      ).rejects.toThrow();
      expect(await t.storage.exists('bad/len.bin')).toBe(false);
    });

    it('checks contentMd5: a matching body is stored, a differing one fails with EINVAL and stores nothing', async () => {
      const body = Buffer.from('checked content');
      const md5 = createHash('md5').update(body).digest('hex');
      const wrong = createHash('md5').update('something else').digest('hex');
      await t.storage.upload('md5/bytes.txt', body, 'text/plain', { contentMd5: md5 });
      await t.storage.upload('md5/stream.txt', Readable.from([body]), 'text/plain', {
        contentMd5: md5.toUpperCase(),
      });
      expect((await t.storage.download('md5/bytes.txt')).equals(body)).toBe(true);
      expect((await t.storage.download('md5/stream.txt')).equals(body)).toBe(true);
      await expectCode(
        t.storage.upload('md5/bytes.txt', 'replaced', 'text/plain', { contentMd5: wrong }),
        'EINVAL',
      );
      await expectCode(
        t.storage.upload('md5/stream.txt', Readable.from(['replaced']), 'text/plain', {
          contentMd5: wrong,
          contentLength: 8,
        }),
        'EINVAL',
      );
      await expectCode(
        t.storage.upload('md5/new.txt', Readable.from([body]), 'text/plain', { contentMd5: wrong }),
        'EINVAL',
      );
      await expectCode(
        t.storage.upload('md5/new.txt', body, 'text/plain', { contentMd5: 'not-a-hash' }),
        'EINVAL',
      );
      // The objects already there are kept whole; nothing else was written.
      expect((await t.storage.download('md5/bytes.txt')).equals(body)).toBe(true);
      expect((await t.storage.download('md5/stream.txt')).equals(body)).toBe(true);
      expect(await keysOf(t.storage)).toEqual(['md5/bytes.txt', 'md5/stream.txt']);
    });

    it('stores nothing when the body stream fails', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(64 * 1024, 1));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(
        t.storage.upload('bad/stream.bin', failing, 'application/octet-stream'),
      ).rejects.toThrow();
      expect(await t.storage.exists('bad/stream.bin')).toBe(false);
      expect(await keysOf(t.storage)).toEqual([]);
    });

    it('stores nothing when aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(
        t.storage.upload('bad/aborted.txt', 'x', 'text/plain', { signal: controller.signal }),
      ).rejects.toThrow();
      expect(await t.storage.exists('bad/aborted.txt')).toBe(false);
    });
  });
}
