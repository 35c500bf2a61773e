import { createHash } from 'node:crypto';
import { ImagingError, badUrl } from './imaging-error.js';
import { isOptionSegment, outputFormatOf, OUTPUT_FORMATS } from './imaging-options.js';
import type { OutputFormat } from './imaging-options.js';
import { signImagingPath } from './imaging-keys.js';
import type { ImagingKey } from './imaging-keys.js';

/** An imaging URL's path taken apart (imgproxy's format), nothing checked but its shape. */
export interface ImagingPath {
  /** The signature segment as given. */
  signature: string;
  /** What the signature covers: everything after it, from its leading `/`, exactly as received. */
  signedPath: string;
  /** The processing option segments, in order (`rs:fill:300:200`, `q:80`, …). */
  options: string[];
  /** The source URL, decoded (`local:///uploads/…`, `s3://bucket/key`, `https://…`). */
  source: string;
  /** From `@ext` (plain) or `.ext` (base64); absent: chosen by `Accept`. */
  format?: OutputFormat;
}

/** Where a source lives: a key of this platform's storage, or a remote http(s) URL. */
export type SourceRef =
  { kind: 'key'; key: string; bucket?: string } | { kind: 'url'; url: string };

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/**
 * Splits an imaging path: `/<signature>/<options…>/plain/<source>@<ext>` or
 * `/<signature>/<options…>/<base64 source, may be split by />.<ext>` (imgproxy's two forms).
 *
 * @throws {ImagingError} `E_VALIDATION` for a malformed path, source encoding or extension.
 */
export function parseImagingPath(path: string): ImagingPath {
  if (!path.startsWith('/')) throw badUrl('The path must start with /');
  const second = path.indexOf('/', 1);
  if (second < 0) throw badUrl('Expected /<signature>/<options>/<source>');
  const signature = path.slice(1, second);
  const signedPath = path.slice(second);
  const segments = signedPath.slice(1).split('/');
  const options: string[] = [];
  let i = 0;
  while (i < segments.length && isOptionSegment(segments[i]!)) options.push(segments[i++]!);
  const rest = segments.slice(i);
  if (rest.length === 0 || rest.join('') === '') throw badUrl('The URL names no source');
  if (rest[0] === 'enc') throw badUrl('Encrypted source URLs (enc/) are not supported');
  let source: string;
  let ext: string | undefined;
  if (rest[0] === 'plain') {
    let raw = rest.slice(1).join('/');
    const at = raw.lastIndexOf('@');
    if (at >= 0) {
      ext = raw.slice(at + 1);
      raw = raw.slice(0, at);
    }
    try {
      source = decodeURIComponent(raw);
    } catch {
      throw badUrl('The plain source is not valid percent-encoding');
    }
  } else {
    let encoded = rest.join('');
    const dot = encoded.lastIndexOf('.');
    if (dot >= 0) {
      ext = encoded.slice(dot + 1);
      encoded = encoded.slice(0, dot);
    }
    if (!BASE64URL.test(encoded))
      throw badUrl('The source is neither plain/<url> nor URL-safe base64');
    const bytes = Buffer.from(encoded.replace(/=+$/, ''), 'base64url');
    source = bytes.toString('utf8');
    if (!Buffer.from(source, 'utf8').equals(bytes)) throw badUrl('The base64 source is not UTF-8');
  }
  if (!source) throw badUrl('The URL names no source');
  return {
    signature,
    signedPath,
    options,
    source,
    ...(ext !== undefined && ext !== '' ? { format: outputFormatOf(ext) } : {}),
  };
}

/**
 * What a source URL names: `local:///<key>` (a key of this platform's storage, whatever the backend),
 * `s3://<bucket>/<key>` (a key, when the bucket is the configured one — checked by the caller) or an http(s) URL.
 *
 * @throws {ImagingError} `E_FORBIDDEN_SOURCE` for any other scheme.
 */
export function parseSourceRef(source: string): SourceRef {
  if (source.startsWith('local:///')) return { kind: 'key', key: source.slice('local:///'.length) };
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  if (s3) return { kind: 'key', bucket: s3[1]!, key: s3[2]! };
  if (/^https?:\/\//i.test(source)) return { kind: 'url', url: source };
  throw new ImagingError(
    'E_FORBIDDEN_SOURCE',
    'The source must be local:///<key>, s3://<bucket>/<key> or an http(s) URL',
  );
}

/** Percent-encodes a plain source so it survives as one path tail (`@`, `?`, `#`, `%`, spaces, non-ASCII). */
function encodePlain(source: string): string {
  return source
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%3A/gi, ':'))
    .join('/');
}

/**
 * Builds a signed imaging path (`/<signature>/<options>/<source>`) the way imgproxy's clients do, with the
 * team's pair: the source base64-encoded (default) or plain, the format as its extension.
 */
export function buildImagingPath(
  options: readonly string[],
  source: string,
  pair: Pick<ImagingKey, 'key' | 'salt'>,
  { format, encoding = 'base64' }: { format?: OutputFormat; encoding?: 'base64' | 'plain' } = {},
): string {
  const ext = format ? OUTPUT_FORMATS[format].ext : undefined;
  const tail =
    encoding === 'plain'
      ? `/plain/${encodePlain(source)}${ext ? `@${ext}` : ''}`
      : `/${Buffer.from(source, 'utf8').toString('base64url')}${ext ? `.${ext}` : ''}`;
  const path = `${options.map((o) => `/${o}`).join('')}${tail}`;
  return `/${signImagingPath(path, pair)}${path}`;
}

/**
 * The content address of one render: SHA-256 (hex) of the source (its key or URL), its version (etag) and the
 * canonical transform. A new version of the source makes a new address, so older renders are never served again.
 */
export function renderHash(source: string, version: string, canonical: string): string {
  return createHash('sha256').update(`${source}\0${version}\0${canonical}`).digest('hex');
}
