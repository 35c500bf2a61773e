import { createHash } from 'node:crypto';
import { ConfigError } from './errors.js';

/** A secret the CDN accepts signatures of, named by the `kid` that signed URLs carry. */
export interface CdnSigningKey {
  /** Short name carried in signed URLs (`[A-Za-z0-9_-]{1,32}`). */
  readonly id: string;
  /** At least 32 characters from `[A-Za-z0-9+/=_-]`. */
  readonly secret: string;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const SECRET = /^[A-Za-z0-9+/=_-]{32,256}$/;

/**
 * Parses `CDN_SIGNING_KEYS` (`id:secret,id:secret`): the first key signs, every key listed verifies, so a
 * secret is rotated without downtime by adding the new key first, deploying, then dropping the old one.
 *
 * @throws {ConfigError} naming the malformed entry (never echoing a secret).
 */
export function parseCdnSigningKeys(raw: string | undefined): CdnSigningKey[] {
  const keys: CdnSigningKey[] = [];
  const problems: string[] = [];
  for (const [index, entry] of (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .entries()) {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon);
    const secret = entry.slice(colon + 1);
    if (colon <= 0 || !KEY_ID.test(id))
      problems.push(`CDN_SIGNING_KEYS entry ${index + 1}: id must match [A-Za-z0-9_-]{1,32}`);
    else if (!SECRET.test(secret))
      problems.push(
        `CDN_SIGNING_KEYS entry ${index + 1} (${id}): secret must be 32-256 characters of [A-Za-z0-9+/=_-] (make one with \`openssl rand -base64 32\`)`,
      );
    else if (keys.some((key) => key.id === id))
      problems.push(`CDN_SIGNING_KEYS entry ${index + 1}: id ${id} is listed twice`);
    else keys.push({ id, secret });
  }
  if (problems.length === 0 && keys.length === 0) problems.push('CDN_SIGNING_KEYS is empty');
  if (problems.length) throw new ConfigError(problems.join('; '), problems);
  return keys;
}

/**
 * Adds `exp`, `kid` and `sig` to a CDN URL, as nginx's `secure_link` checks them:
 * `sig = base64url(md5("<exp><decoded path> <secret>"))`, with
 * `secure_link_md5 "$secure_link_expires$uri $cdn_signing_secret"` on the nginx side.
 *
 * @param expiresAt Unix time in seconds after which the CDN refuses the URL.
 */
export function signCdnUrl(url: string, key: CdnSigningKey, expiresAt: number): string {
  const signed = new URL(url);
  const path = decodeURIComponent(signed.pathname);
  const sig = createHash('md5').update(`${expiresAt}${path} ${key.secret}`).digest('base64url');
  signed.searchParams.set('exp', String(expiresAt));
  signed.searchParams.set('kid', key.id);
  signed.searchParams.set('sig', sig);
  return signed.href;
}
