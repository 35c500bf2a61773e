import { beforeEach, describe, expect, it } from 'vitest';
import { pseudoRandomBytes } from '../contract-fixtures.js';
import { expectCode, readAll } from './contract-context.js';
import type { ContractContext } from './contract-context.js';

/** Contract suite: ranges. */
export function rangeSuite(t: ContractContext): void {
  describe('range reads', () => {
    const bytes = pseudoRandomBytes(1000, 5);
    beforeEach(async () => {
      await t.storage.upload('range/obj.bin', bytes, 'application/octet-stream');
    });
    const read = async (start: number, end?: number) =>
      readAll(
        await t.storage.downloadStream(
          'range/obj.bin',
          end === undefined ? { start } : { start, end },
        ),
      );

    it('reads the first byte', async () => {
      expect((await read(0, 0)).equals(bytes.subarray(0, 1))).toBe(true);
    });
    it('reads a middle span (end inclusive)', async () => {
      expect((await read(100, 199)).equals(bytes.subarray(100, 200))).toBe(true);
    });
    it('reads the last byte', async () => {
      expect((await read(999, 999)).equals(bytes.subarray(999))).toBe(true);
    });
    it('reads an open-ended range', async () => {
      expect((await read(990)).equals(bytes.subarray(990))).toBe(true);
    });
    it('clamps an end past the object', async () => {
      expect((await read(995, 5000)).equals(bytes.subarray(995))).toBe(true);
    });
    it('rejects a start at or past the end with ERANGE', async () => {
      await expectCode(t.storage.downloadStream('range/obj.bin', { start: 1000 }), 'ERANGE');
      await expectCode(
        t.storage.downloadStream('range/obj.bin', { start: 5000, end: 6000 }),
        'ERANGE',
      );
    });
  });
}
