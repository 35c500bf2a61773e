import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';
import { StorageError, isStorageError, NotFoundError } from './errors.js';
import { rangeHeader, resolveListLimit, resolveRange } from './options.js';

describe('resolveRange', () => {
  const ctx = { key: 'k' };
  it('clamps the end and keeps it inclusive', () => {
    expect(resolveRange({ start: 0 }, 10, ctx)).toEqual({ start: 0, end: 9 });
    expect(resolveRange({ start: 2, end: 4 }, 10, ctx)).toEqual({ start: 2, end: 4 });
    expect(resolveRange({ start: 9, end: 100 }, 10, ctx)).toEqual({ start: 9, end: 9 });
  });
  it.each([
    [{ start: 10 }, 10],
    [{ start: 0 }, 0],
    [{ start: -1 }, 10],
    [{ start: 5, end: 4 }, 10],
    [{ start: 1.5 }, 10],
  ])('rejects %j on %i bytes with ERANGE', (range, size) => {
    expect(() => resolveRange(range, size, ctx)).toThrow(
      expect.objectContaining({ code: 'ERANGE' }),
    );
  });
  it('formats an HTTP Range header', () => {
    expect(rangeHeader({ start: 5 })).toBe('bytes=5-');
    expect(rangeHeader({ start: 5, end: 9 })).toBe('bytes=5-9');
  });
});

describe('list options', () => {
  it('defaults to 1000 and rejects out-of-range limits', () => {
    expect(resolveListLimit(undefined)).toBe(1000);
    expect(resolveListLimit(1)).toBe(1);
    for (const bad of [0, 1001, 2.5, Number.NaN]) {
      expect(() => resolveListLimit(bad)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
  });
  it('round-trips cursors and rejects forged ones', () => {
    expect(decodeCursor(encodeCursor('a/中/😀'))).toBe('a/中/😀');
    expect(() => decodeCursor('!!!')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => decodeCursor('')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('errors', () => {
  it('carry code, context and cause', () => {
    const cause = new Error('low level');
    const error = new NotFoundError('gone', {
      key: 'a',
      operation: 'download',
      backend: 's3',
      cause,
    });
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({
      name: 'NotFoundError',
      code: 'ENOENT',
      key: 'a',
      operation: 'download',
      backend: 's3',
    });
    expect(error.cause).toBe(cause);
    expect(isStorageError(error, 'ENOENT')).toBe(true);
    expect(isStorageError(error, 'EACCES')).toBe(false);
    expect(isStorageError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
  });
});
