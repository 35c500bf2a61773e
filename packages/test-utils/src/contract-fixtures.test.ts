import { validateKey } from '@monorepo/storage-core';
import { describe, expect, it } from 'vitest';
import {
  INVALID_KEYS,
  WEIRD_KEYS,
  hashStream,
  pseudoRandomBytes,
  pseudoRandomStream,
} from './contract-fixtures.js';

describe('contract fixtures', () => {
  it('every weird key is valid and every invalid key is rejected by the core rules', () => {
    for (const key of WEIRD_KEYS) expect(validateKey(key)).toBe(key);
    for (const key of INVALID_KEYS) expect(() => validateKey(key), JSON.stringify(key)).toThrow();
  });

  it('pseudo-random data is deterministic and streams the exact size', async () => {
    expect(pseudoRandomBytes(1001, 4).equals(pseudoRandomBytes(1001, 4))).toBe(true);
    expect(pseudoRandomBytes(1001, 4).equals(pseudoRandomBytes(1001, 5))).toBe(false);
    const a = await hashStream(pseudoRandomStream(200_001, 9));
    const b = await hashStream(pseudoRandomStream(200_001, 9));
    expect(a).toEqual(b);
    expect(a.bytes).toBe(200_001);
  });
});
