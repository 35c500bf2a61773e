import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from './errors.js';
import {
  compareKeys,
  encodeKeyForUrl,
  joinPublicUrl,
  validateKey,
  validatePrefix,
} from './keys.js';

describe('validateKey', () => {
  it.each([
    'a',
    'processed/dall-e/user-123/job-456/normal-123456.jpg',
    '中文/文件.txt',
    'emoji 😀/a+b%20c#d?e.png',
    '.hidden',
    '..dots',
    'a'.repeat(1024),
  ])('accepts %j', (key) => {
    expect(validateKey(key)).toBe(key);
  });

  it.each([
    ['', 'empty'],
    ['/abs', 'leading slash'],
    ['a//b', 'empty segment'],
    ['a/', 'trailing slash'],
    ['a/./b', 'dot segment'],
    ['../x', 'dot-dot segment'],
    ['a\\b', 'backslash'],
    ['a\u0000b', 'NUL'],
    ['a\u001fb', 'control'],
    ['a\u0085b', 'C1 control'],
    ['\ud83d', 'lone surrogate'],
    ['a'.repeat(1025), 'too long'],
    ['é'.repeat(513), 'too long in bytes'],
  ])('rejects %j (%s) with EINVAL', (key) => {
    let error: unknown;
    try {
      validateKey(key, 'upload', 'test');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidKeyError);
    expect(error).toMatchObject({ code: 'EINVAL', operation: 'upload', backend: 'test' });
  });

  it('rejects non-strings', () => {
    expect(() => validateKey(undefined)).toThrow(InvalidKeyError);
    expect(() => validateKey(1)).toThrow(InvalidKeyError);
  });
});

describe('validatePrefix', () => {
  it('accepts empty, partial and slash-terminated prefixes', () => {
    expect(validatePrefix(undefined)).toBe('');
    expect(validatePrefix('')).toBe('');
    expect(validatePrefix('a/b/')).toBe('a/b/');
    expect(validatePrefix('a/b')).toBe('a/b');
  });
  it.each(['/', '/a', 'a//', '../', 'a/../'])('rejects %j', (prefix) => {
    expect(() => validatePrefix(prefix)).toThrow(InvalidKeyError);
  });
});

describe('URLs', () => {
  it('percent-encodes each segment and keeps slashes', () => {
    expect(encodeKeyForUrl("a b/c#d?e/f+g%h/(x)!*'.jpg")).toBe(
      'a%20b/c%23d%3Fe/f%2Bg%25h/%28x%29%21%2A%27.jpg',
    );
    expect(encodeKeyForUrl('中/😀')).toBe('%E4%B8%AD/%F0%9F%98%80');
  });
  it('joins with exactly one slash', () => {
    expect(joinPublicUrl('http://cdn/static/', 'a/b')).toBe('http://cdn/static/a/b');
    expect(joinPublicUrl('http://cdn/static', 'a/b')).toBe('http://cdn/static/a/b');
  });
});

describe('compareKeys', () => {
  it('orders by UTF-8 bytes like S3, not by UTF-16 code units', () => {
    // U+FF5E (3 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 ...) in UTF-8,
    // but after it in UTF-16 (D83D ...).
    const keys = ['\u{1F600}', '\uff5e', 'a/b', 'a-b', 'A', 'a'];
    expect([...keys].sort(compareKeys)).toEqual(['A', 'a', 'a-b', 'a/b', '\uff5e', '\u{1F600}']);
  });
});
