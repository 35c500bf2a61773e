import { ownsKey, validateKey } from '@monorepo/storage';
import type { Visibility } from '@monorepo/storage';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { ApiError, notFound } from '../http/api-error.js';
import { readJsonBody } from '../http/json-body.js';

/**
 * The key a request's path names after `prefix` (each segment percent-decoded), when it is valid and the
 * caller's own; anything else is 404, so nobody learns whether another user's key exists.
 */
export function ownedKeyOf(req: AuthedRequest, prefix: string): string {
  const raw = req.path.startsWith(prefix) ? req.path.slice(prefix.length) : '';
  let key: string;
  try {
    key = raw.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw new ApiError('E_VALIDATION', 'The key is not valid percent-encoding');
  }
  validateKey(key);
  if (!ownsKey(req.userId, key)) throw notFound();
  return key;
}

/**
 * The body of a visibility change, `{ "visibility": "public" | "private" }` and nothing else.
 *
 * @throws {ApiError} `E_VALIDATION` for anything else.
 */
export async function readVisibilityBody(req: AuthedRequest): Promise<Visibility> {
  const body = (await readJsonBody(req)) as { visibility?: unknown } | null;
  const visibility = visibilityParam(body?.visibility);
  if (!visibility || Object.keys(body as object).length !== 1)
    throw new ApiError('E_VALIDATION', 'Send { "visibility": "public" | "private" }');
  return visibility;
}

/**
 * A visibility from a query parameter or body field: `undefined` when absent.
 *
 * @throws {ApiError} `E_VALIDATION` for anything but `public` or `private`.
 */
export function visibilityParam(value: unknown): Visibility | undefined {
  if (value === undefined) return undefined;
  if (value === 'public' || value === 'private') return value;
  throw new ApiError('E_VALIDATION', 'visibility must be "public" or "private"');
}

/** A stored file name from a client-supplied one: no path, no leading dots, letters/digits/`._- ` only, ≤ 150 chars. */
export function sanitizeFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = Array.from(
    base
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
      .replace(/\s+/g, ' ')
      .replace(/^[\s.]+/, '')
      .trim(),
  )
    .slice(0, 150)
    .join('')
    .trim();
  return cleaned || 'file';
}
