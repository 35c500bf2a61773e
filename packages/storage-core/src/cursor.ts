import { InvalidKeyError } from './errors.js';

/**
 * Encodes the last key of a page as an opaque list cursor. Every adapter uses
 * this format, so a cursor means "resume after this key" on any backend.
 */
export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor}.
 *
 * @throws {InvalidKeyError} when the cursor is not one this library produced.
 */
export function decodeCursor(cursor: string): string {
  const key = /^[A-Za-z0-9_-]+$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  if (key === '' || encodeCursor(key) !== cursor) {
    throw new InvalidKeyError('Invalid list cursor', { operation: 'list' });
  }
  return key;
}
