import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError, PermissionDeniedError } from '@monorepo/storage-core';

/** Where the application receives part `PUT`s, and the secret their URLs are signed with. */
export interface PartUrlSettings {
  /** An absolute http(s) URL of the application's route that passes each request to `receiveUploadPart`. */
  url: string;
  /** HMAC-SHA256 key: at least 32 characters, shared by every process that signs or receives parts. */
  secret: string;
}

/** What a part URL grants: one part of one upload of one key, at most `maxBytes`, once, until `expires`. */
export interface PartGrant {
  key: string;
  uploadId: string;
  partNumber: number;
  maxBytes: number;
  /** Unix time in seconds. */
  expires: number;
  /** Names this URL: once spent, the URL is refused. */
  nonce: string;
}

const NONCE = /^[0-9a-f]{32}$/;

/** Checks the settings once, when the adapter is built. */
export function checkPartUrlSettings(settings: PartUrlSettings): PartUrlSettings {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(settings.url);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    problems.push('multipartParts.url: must be an absolute http(s) URL');
  if (typeof settings.secret !== 'string' || settings.secret.length < 32)
    problems.push('multipartParts.secret: must be at least 32 characters');
  if (problems.length)
    throw new ConfigError(`Invalid local storage config: ${problems.join('; ')}`, problems, {
      backend: 'local',
    });
  return settings;
}

function signature(secret: string, grant: PartGrant): Buffer {
  // JSON keeps the fields apart whatever a key holds.
  const message = JSON.stringify([
    'part-v1',
    grant.key,
    grant.uploadId,
    grant.partNumber,
    grant.maxBytes,
    grant.expires,
    grant.nonce,
  ]);
  return createHmac('sha256', secret).update(message).digest();
}

/** A URL granting `grant` minus its nonce, which is drawn here. */
export function signPartUrl(settings: PartUrlSettings, grant: Omit<PartGrant, 'nonce'>): string {
  const full: PartGrant = { ...grant, nonce: randomBytes(16).toString('hex') };
  const url = new URL(settings.url);
  url.searchParams.set('key', full.key);
  url.searchParams.set('uploadId', full.uploadId);
  url.searchParams.set('partNumber', String(full.partNumber));
  url.searchParams.set('maxBytes', String(full.maxBytes));
  url.searchParams.set('expires', String(full.expires));
  url.searchParams.set('nonce', full.nonce);
  url.searchParams.set('signature', signature(settings.secret, full).toString('base64url'));
  return url.href;
}

/** The query of a URL as requested (absolute, or a path with its query). */
function queryOf(url: string): URLSearchParams {
  return new URL(url, 'http://part.invalid').searchParams;
}

/** The key a part URL names, without checking anything else. */
export function keyOfPartUrl(url: string): string | undefined {
  try {
    return queryOf(url).get('key') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The grant of a part URL whose signature is ours and which has not expired; anything else is refused with
 * `EACCES` (a URL whose key, upload id, part number or size was changed no longer matches its signature).
 */
export function verifyPartUrl(settings: PartUrlSettings, url: string, now = Date.now()): PartGrant {
  const refuse = (why: string, key?: string) =>
    new PermissionDeniedError(`This part URL is not valid: ${why}`, {
      ...(key === undefined ? {} : { key }),
      operation: 'receiveUploadPart',
      backend: 'local',
    });
  const query = queryOf(url);
  const int = (name: string) => {
    const raw = query.get(name) ?? '';
    return /^[0-9]{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  };
  const grant: PartGrant = {
    key: query.get('key') ?? '',
    uploadId: query.get('uploadId') ?? '',
    partNumber: int('partNumber'),
    maxBytes: int('maxBytes'),
    expires: int('expires'),
    nonce: query.get('nonce') ?? '',
  };
  const given = Buffer.from(query.get('signature') ?? '', 'base64url');
  const expected = signature(settings.secret, grant);
  if (
    !NONCE.test(grant.nonce) ||
    !Number.isFinite(grant.partNumber + grant.maxBytes + grant.expires) ||
    given.length !== expected.length ||
    !timingSafeEqual(given, expected)
  )
    throw refuse('its signature does not match', grant.key || undefined);
  if (grant.expires * 1000 <= now) throw refuse('it has expired', grant.key);
  return grant;
}
