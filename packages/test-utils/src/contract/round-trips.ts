import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { hashStream, pseudoRandomBytes, pseudoRandomStream, sha256 } from '../contract-fixtures.js';
import { readAll } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: round trips. */
export function roundTripSuite(t: ContractContext): void {
  describe('round trips', () => {
    const cases: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['one byte', Buffer.from([0x2a])],
      ['every byte value', Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256))],
      ['1 MiB binary', pseudoRandomBytes(1024 * 1024, 7)],
    ];
    for (const [label, bytes] of cases) {
      it(`stores and returns ${label} byte-exact`, async () => {
        const url = await t.storage.upload(`rt/${label}.bin`, bytes, 'application/octet-stream');
        expect(url).toBe(t.storage.getPublicUrl(`rt/${label}.bin`));
        expect((await t.storage.download(`rt/${label}.bin`)).equals(bytes)).toBe(true);
        expect(
          (await readAll(await t.storage.downloadStream(`rt/${label}.bin`))).equals(bytes),
        ).toBe(true);
        expect((await t.storage.stat(`rt/${label}.bin`)).size).toBe(bytes.length);
      });
    }

    it('accepts strings (UTF-8) and Uint8Arrays', async () => {
      await t.storage.upload('rt/text.txt', 'Hello, 世界 👋', 'text/plain');
      expect((await t.storage.download('rt/text.txt')).toString('utf8')).toBe('Hello, 世界 👋');
      const view = new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4);
      await t.storage.upload('rt/view.bin', view, 'application/octet-stream');
      expect([...(await t.storage.download('rt/view.bin'))]).toEqual([8, 7, 6]);
    });

    it('streams a large object in and out byte-exact', async () => {
      const size = t.options.largeObjectBytes ?? 20 * 1024 * 1024;
      const expected = await hashStream(pseudoRandomStream(size, 99));
      const stored = await t.storage.put(
        'rt/large.bin',
        pseudoRandomStream(size, 99),
        'application/octet-stream',
      );
      const actual = await hashStream(await t.storage.downloadStream('rt/large.bin'));
      expect(actual).toEqual(expected);
      const info = await t.storage.stat('rt/large.bin');
      expect(info.size).toBe(size);
      // A streamed (on S3: multipart) write answers with the same size and ETag a stat reads afterwards.
      expect(stored).toMatchObject({ size, etag: info.etag });
    });

    it('takes a stream with a declared contentLength', async () => {
      const bytes = pseudoRandomBytes(300_000, 3);
      const stored = await t.storage.put(
        'rt/sized.bin',
        Readable.from([bytes]),
        'application/octet-stream',
        { contentLength: bytes.length },
      );
      expect(sha256(await t.storage.download('rt/sized.bin'))).toBe(sha256(bytes));
      expect(stored).toMatchObject({
        size: bytes.length,
        etag: (await t.storage.stat('rt/sized.bin')).etag,
      });
    });
  });
}
