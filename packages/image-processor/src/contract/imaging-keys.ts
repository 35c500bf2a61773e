import { createHmac, timingSafeEqual } from 'node:crypto';
import { isValidId } from './image-job-schema.js';

/** One signing pair of a team (imgproxy's key/salt, hex-encoded in the configuration). */
export interface ImagingKey {
  /** The team (user id of the key layout) whose objects URLs signed with this pair may read. */
  team: string;
  key: Buffer;
  salt: Buffer;
}

const HEX = /^(?:[0-9a-fA-F]{2}){8,128}$/;

/**
 * Parses `IMAGING_KEYS`: `team:keyhex:salthex,…` (each key and salt 8-128 bytes as hex; `openssl rand -hex 32`).
 * A team may have several pairs: its first signs what the API mints, every one verifies (rotation). One pair
 * belongs to one team only.
 *
 * @throws {Error} naming the first malformed entry (never echoing a key).
 */
export function parseImagingKeys(raw: string): ImagingKey[] {
  const keys: ImagingKey[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .entries()) {
    const [team, key, salt, ...rest] = entry.split(':');
    if (!isValidId(team) || rest.length > 0)
      throw new Error(
        `entry ${index + 1}: must be team:keyhex:salthex (team [A-Za-z0-9_-]{1,128})`,
      );
    if (!HEX.test(key ?? '') || !HEX.test(salt ?? ''))
      throw new Error(
        `entry ${index + 1}: key and salt must be 8-128 bytes of hex (make imaging-key prints a pair)`,
      );
    if (new Set(key!.toLowerCase()).size < 6)
      throw new Error(
        `entry ${index + 1}: key looks like a placeholder (make imaging-key prints one)`,
      );
    const id = `${key!.toLowerCase()}:${salt!.toLowerCase()}`;
    if (seen.has(id)) throw new Error(`entry ${index + 1}: this key/salt pair is listed twice`);
    seen.add(id);
    keys.push({ team: team!, key: Buffer.from(key!, 'hex'), salt: Buffer.from(salt!, 'hex') });
  }
  return keys;
}

/** The signing pair a team's URLs are minted with (its first), if it has one. */
export function signingKeyOf(keys: readonly ImagingKey[], team: string): ImagingKey | undefined {
  return keys.find((k) => k.team === team);
}

/** imgproxy's signature of `path` (everything after the signature, from its leading `/`): URL-safe base64 HMAC-SHA256 over salt + path. */
export function signImagingPath(path: string, pair: Pick<ImagingKey, 'key' | 'salt'>): string {
  return createHmac('sha256', pair.key).update(pair.salt).update(path).digest('base64url');
}

const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The team whose pair made `signature` over `path`, or `undefined`. Every pair is tried, in constant time per
 * pair; an unsigned (`insecure`, `_`) or malformed signature matches none.
 */
export function verifyImagingSignature(
  signature: string,
  path: string,
  keys: readonly ImagingKey[],
): string | undefined {
  if (!SIGNATURE.test(signature)) return undefined;
  const given = Buffer.from(signature, 'base64url');
  let team: string | undefined;
  for (const pair of keys) {
    const expected = createHmac('sha256', pair.key).update(pair.salt).update(path).digest();
    if (timingSafeEqual(expected, given)) team ??= pair.team;
  }
  return team;
}
