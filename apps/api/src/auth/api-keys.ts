import { createHash, timingSafeEqual } from 'node:crypto';
import { isValidId } from '@monorepo/image-processor/contract';

const KEY = /^[\x21-\x7e]{32,256}$/;
// Keys copied from docs and examples, never meant to be used.
const PLACEHOLDER = /change[-_]?me|replace[-_]?me|placeholder|example|your[-_]?(api[-_]?)?key/i;
const HOW_TO_MAKE = 'make one with `make api-key` (or `openssl rand -base64 32`)';

/** Looks API keys up by their SHA-256, so no comparison time depends on a key's characters. */
export interface ApiKeyring {
  /** The user a key belongs to, or `undefined`. */
  userFor(key: string): string | undefined;
  /** Number of keys configured. */
  readonly size: number;
  /** The users (teams) the keys belong to, each once: the only team labels metrics carry. */
  readonly users: readonly string[];
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/**
 * Parses `API_KEYS` (`key1:userId1,key2:userId2`). A user may have several
 * keys, which is how keys are rotated: add the new one, deploy, remove the old.
 *
 * @throws {Error} describing the first malformed entry (never echoing a key).
 */
export function parseApiKeys(raw: string): ApiKeyring {
  const entries: Array<{ hash: Buffer; userId: string }> = [];
  for (const [index, entry] of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .entries()) {
    const colon = entry.lastIndexOf(':');
    const key = entry.slice(0, colon);
    const userId = entry.slice(colon + 1);
    if (colon <= 0 || !KEY.test(key))
      throw new Error(
        `entry ${index + 1}: key must be 32-256 printable characters: ${HOW_TO_MAKE}`,
      );
    if (PLACEHOLDER.test(key) || new Set(key).size < 10)
      throw new Error(`entry ${index + 1}: key looks like a placeholder: ${HOW_TO_MAKE}`);
    if (!isValidId(userId))
      throw new Error(`entry ${index + 1}: userId must match [A-Za-z0-9_-]{1,128}`);
    entries.push({ hash: digest(key), userId });
  }
  if (entries.length === 0) throw new Error('no keys given');
  return {
    size: entries.length,
    users: [...new Set(entries.map((entry) => entry.userId))],
    userFor(key: string) {
      const hash = digest(key);
      let found: string | undefined;
      for (const entry of entries) if (timingSafeEqual(entry.hash, hash)) found = entry.userId;
      return found;
    },
  };
}
