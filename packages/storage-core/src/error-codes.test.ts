import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, STORAGE_ERROR_CODES, isErrorCode } from './error-codes.js';

const doc = readFileSync(new URL('../../../docs/ERRORS.md', import.meta.url), 'utf8');
const rows = (pattern: RegExp) =>
  doc
    .split('\n')
    .map((line) => pattern.exec(line))
    .filter((match): match is RegExpExecArray => match !== null);

describe('error codes', () => {
  it('docs/ERRORS.md is the table, code for code', () => {
    const documented = rows(/^\| `(E_[A-Z_]+)` +\| (\d+) +\| (yes|no) +\| (.+?) +\|$/).map(
      ([, code, status, retry, meaning]) => [code, Number(status), retry === 'yes', meaning],
    );
    expect(documented).toEqual(
      Object.entries(ERROR_CODES).map(([code, info]) => [
        code,
        info.status,
        info.retryable,
        info.meaning,
      ]),
    );
    const storage = rows(/^\| `([A-Z]+)` +\| `(E_[A-Z_]+)` +\|$/).map(([, from, to]) => [from, to]);
    expect(storage).toEqual(Object.entries(STORAGE_ERROR_CODES));
  });

  it('maps every storage code to one platform code, and no two ideas share a code', () => {
    expect(Object.values(STORAGE_ERROR_CODES).every(isErrorCode)).toBe(true);
    expect(new Set(Object.values(STORAGE_ERROR_CODES)).size).toBe(
      Object.keys(STORAGE_ERROR_CODES).length,
    );
    expect(new Set(Object.values(ERROR_CODES).map((info) => info.meaning)).size).toBe(
      Object.keys(ERROR_CODES).length,
    );
    expect(isErrorCode('ENOENT')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });
});
