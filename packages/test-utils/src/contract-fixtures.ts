import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Keys every adapter must store and list exactly (after Go CDK's drivertest "weird keys"). */
export const WEIRD_KEYS: readonly string[] = [
  'fwd/slashes/are/ok',
  'spaces are ok',
  'quote"and\'apostrophe',
  '!@#$%^&*()+=,;:[]{}|<>~`',
  'percent%20encoded%2Flooking',
  'question?mark=yes&x=1',
  'hash#fragment',
  'plus+sign',
  'tilde~and-dash_underscore',
  '.dotfile',
  '..twodots',
  'trailing.',
  'ˇ⓾_ü_ÿ_ø',
  '中文/文件名.txt',
  'emoji/😀🎉.png',
  'nfc-\u00e9',
  'nfd-e\u0301',
  'mixed/UPPER/lower',
  'x'.repeat(200),
];

/** Keys every adapter must reject with `EINVAL` before any I/O. */
export const INVALID_KEYS: readonly string[] = [
  '',
  '/absolute',
  '/',
  'a//b',
  'trailing/',
  '.',
  '..',
  './a',
  'a/./b',
  '../outside',
  'a/../../outside',
  'a/..',
  'back\\slash',
  'nul\u0000byte',
  'new\nline',
  'tab\there',
  'del\u007f',
  'lone\ud800surrogate',
  'k'.repeat(1025),
  '€'.repeat(342),
];

/** Deterministic pseudo-random bytes (xorshift), cheap enough for tens of MB. */
export function pseudoRandomBytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  for (; i < size; i++) out[i] = (x >>> (8 * (i % 4))) & 0xff;
  return out;
}

/** A stream of `size` pseudo-random bytes produced in chunks, never held whole. */
export function pseudoRandomStream(size: number, seed = 1, chunkSize = 64 * 1024): Readable {
  let sent = 0;
  let chunkSeed = seed;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, size - sent);
      sent += n;
      this.push(pseudoRandomBytes(n, chunkSeed++));
    },
  });
}

/** SHA-256 hex of everything a stream yields. */
export async function hashStream(
  stream: NodeJS.ReadableStream,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
