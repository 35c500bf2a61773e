import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { s3ConfigFor, s3TestTarget } from '@monorepo/dev-servers';
import type { S3TestServer } from '@monorepo/dev-servers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorageAdapter, S3StorageAdapter, isStorageError } from './index.js';
import type { StorageAdapter } from './index.js';

// The key grammar as documented (docs/STORAGE_INTEGRATION.md, storage-core README), written out here on its own
// rather than taken from the code under test: relative, `/`-separated, valid UTF-8, at most 1024 bytes, no
// empty, `.` or `..` segment, no backslash, no control character (C0, DEL, C1). Anything else is valid.
const MAX_KEY_BYTES = 1024;
/** The local backend's documented limit (capability `maxSegmentBytes`): valid keys are generated within it. */
const SEGMENT_BYTES = 255;

const codePoint = (min: number, max: number) =>
  fc.integer({ min, max }).map((cp) => String.fromCodePoint(cp));
/** One character a key may hold anywhere: printable ASCII but `/` and `\`, and any non-control Unicode. */
const keyChar = fc.oneof(
  { weight: 6, arbitrary: codePoint(0x20, 0x7e).filter((c) => c !== '/' && c !== '\\') },
  { weight: 2, arbitrary: codePoint(0xa0, 0xd7ff) },
  { weight: 1, arbitrary: codePoint(0xe000, 0xfffd) },
  { weight: 1, arbitrary: codePoint(0x10000, 0x10ffff) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      ' ',
      '+',
      '%',
      '%2e',
      '%2f',
      '#',
      '?',
      '&',
      '=',
      '~',
      '*',
      '"',
      "'",
      '<',
      '>',
      '|',
      ':',
      ';',
      '!',
      '.',
      '-',
      '_',
      'é',
      'e\u0301',
      '中',
      '😀',
      'ß',
      '\u00a0',
      '\u200b',
      '\u2028',
      '\ufeff',
      '\uff0f',
    ),
  },
);
const validSegment = fc
  .array(keyChar, { minLength: 1, maxLength: 24 })
  .map((chars) => chars.join(''))
  .filter((s) => s !== '.' && s !== '..' && Buffer.byteLength(s) <= SEGMENT_BYTES);
const validKey = fc
  .array(validSegment, { minLength: 1, maxLength: 6 })
  .map((segments) => segments.join('/'))
  .filter((key) => Buffer.byteLength(key) <= MAX_KEY_BYTES);

/** A valid key of exactly `bytes` bytes of `fill` (one ASCII byte), in segments of at most 255 bytes. */
function keyOfBytes(bytes: number, fill: string): string {
  const count = Math.ceil((bytes + 1) / (SEGMENT_BYTES + 1));
  const sizes = Array.from({ length: count - 1 }, () => SEGMENT_BYTES);
  let last = bytes - (count - 1) * (SEGMENT_BYTES + 1);
  if (last === 0) [sizes[0], last] = [SEGMENT_BYTES - 1, 1];
  return [...sizes, last].map((size) => fill.repeat(size)).join('/');
}
/** Valid keys near and at the 1024-byte limit. */
const longValidKey = fc
  .tuple(
    fc.integer({ min: 990, max: MAX_KEY_BYTES }),
    fc.constantFrom('a', 'Z', '7', '~', '-', '%'),
  )
  .map(([bytes, fill]) => keyOfBytes(bytes, fill));

const control = fc.oneof(codePoint(0x00, 0x1f), codePoint(0x7f, 0x9f));
const loneSurrogate = fc.oneof(codePoint(0xd800, 0xdbff), codePoint(0xdc00, 0xdfff));
/** Inserts `piece` into `key` at a position chosen by `at` (0..1). */
const insert = (key: string, piece: string, at: number) => {
  const cut = Math.floor(at * (key.length + 1));
  return key.slice(0, cut) + piece + key.slice(cut);
};
/** A key that breaks exactly one documented rule. */
const invalidKey = fc.oneof(
  fc.constant(''),
  validKey.map((k) => `/${k}`),
  validKey.map((k) => `${k}/`),
  fc.tuple(validKey, validKey).map(([a, b]) => `${a}//${b}`),
  fc
    .tuple(validKey, fc.constantFrom('.', '..'), fc.boolean())
    .map(([k, dot, first]) => (first ? `${dot}/${k}` : `${k}/${dot}`)),
  fc.tuple(validKey, fc.constantFrom('.', '..'), validKey).map(([a, dot, b]) => `${a}/${dot}/${b}`),
  fc
    .tuple(validKey, fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([k, at]) => insert(k, '\\', at)),
  fc
    .tuple(validKey, control, fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([k, c, at]) => insert(k, c, at)),
  fc
    .tuple(validKey, loneSurrogate, fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([k, s, at]) => insert(k, s, at)),
  validKey.map((k) => `${k}/${'x'.repeat(200)}/`.repeat(6).slice(0, -1)),
);

// Keys built from the characters that matter, for accept/reject parity whatever the rules say (segments stay
// far below the local backend's 255 bytes).
const piece = fc.constantFrom(
  'a',
  'b',
  'Z',
  '0',
  '.',
  '..',
  '/',
  '\\',
  '%2e',
  '%2f',
  '%00',
  ' ',
  '+',
  '#',
  '?',
  '~',
  '中',
  '😀',
  'é',
  '\u0000',
  '\n',
  '\u007f',
  '\u0085',
  '\ud800',
  '//',
  './',
  '../',
  '-',
  '_',
);
const hostileKey = fc.oneof(
  fc.array(piece, { minLength: 0, maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(fc.constantFrom('x', 'y', '..', '.', ''), { minLength: 1, maxLength: 6 })
    .map((s) => s.join('/')),
);

async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (error) {
    return isStorageError(error) ? error.code : `raw:${(error as Error)?.name}`;
  }
}

async function allPaths(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    out.push(path.join(entry.parentPath, entry.name));
  return out;
}

const S3_PREFIX = `kp-${process.pid}/`;
const OPERATIONS: Array<[string, (a: StorageAdapter, key: string) => Promise<unknown>]> = [
  ['upload', (a, key) => a.upload(key, 'x', 'text/plain')],
  ['download', (a, key) => a.download(key)],
  ['exists', (a, key) => a.exists(key)],
  ['stat', (a, key) => a.stat(key)],
  ['delete', (a, key) => a.delete(key)],
  ['getPublicUrl', (a, key) => Promise.resolve(a.getPublicUrl(key))],
];

describe('keys: every backend accepts the documented grammar, rejects the rest alike, and nothing leaves the root', () => {
  let top: string;
  let root: string;
  let local: StorageAdapter;
  let s3: StorageAdapter;
  let server: S3TestServer;
  let backends: Array<[string, StorageAdapter]>;
  beforeAll(async () => {
    // A real S3 server over HTTP (S3_ENDPOINT when set, else radosgw), under a prefix of its own.
    server = await s3TestTarget();
    s3 = new S3StorageAdapter(s3ConfigFor(server, { prefix: S3_PREFIX }));
    top = await mkdtemp(path.join(os.tmpdir(), 'key-parity-'));
    root = path.join(top, 'root');
    local = new LocalStorageAdapter({ type: 'local', baseUrl: 'http://x', localBasePath: root });
    backends = [
      ['local', local],
      ['s3', s3],
    ];
  });
  afterAll(async () => {
    await rm(top, { recursive: true, force: true });
    await server?.stop();
  });

  it('stores, reads, finds and deletes every valid key on every backend', async () => {
    // The one documented difference: S3 counts its prefix toward the 1024-byte key limit.
    const s3Room = MAX_KEY_BYTES - Buffer.byteLength(S3_PREFIX);
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: validKey }, longValidKey), async (key) => {
        const name = `${JSON.stringify(key)} (${Buffer.byteLength(key)} bytes)`;
        for (const [backend, adapter] of backends) {
          if (backend === 's3' && Buffer.byteLength(key) > s3Room) {
            for (const [operation, run] of OPERATIONS)
              expect(await outcome(() => run(adapter, key)), `s3 ${operation} ${name}`).toBe(
                'EINVAL',
              );
            continue;
          }
          expect(
            await outcome(() => adapter.upload(key, 'x', 'text/plain')),
            `${backend} upload ${name}`,
          ).toBe('ok');
          expect((await adapter.download(key)).toString(), `${backend} ${name}`).toBe('x');
          expect(await adapter.exists(key), `${backend} ${name}`).toBe(true);
          expect((await adapter.stat(key)).size, `${backend} ${name}`).toBe(1);
          expect(adapter.getPublicUrl(key), `${backend} ${name}`).toMatch(/^https?:\/\//);
          await adapter.delete(key);
          expect(await adapter.exists(key), `${backend} ${name}`).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rejects every key that breaks a rule with EINVAL, on every backend and operation', async () => {
    await fc.assert(
      fc.asyncProperty(invalidKey, async (key) => {
        for (const [backend, adapter] of backends)
          for (const [operation, run] of OPERATIONS)
            expect(
              await outcome(() => run(adapter, key)),
              `${backend} ${operation} ${JSON.stringify(key)}`,
            ).toBe('EINVAL');
      }),
      { numRuns: 150 },
    );
  });

  it('upload/download/stat/exists/delete agree on accept or reject for any generated key', async () => {
    await fc.assert(
      fc.asyncProperty(hostileKey, async (key) => {
        for (const [operation, run] of OPERATIONS) {
          const [l, s] = [await outcome(() => run(local, key)), await outcome(() => run(s3, key))];
          expect(l, `${operation} ${JSON.stringify(key)}`).toBe(s);
          expect(l.startsWith('raw:'), `raw error escaped for ${JSON.stringify(key)}`).toBe(false);
          expect(s.startsWith('raw:'), `raw error escaped for ${JSON.stringify(key)}`).toBe(false);
        }
        await local.delete(key).catch(() => {});
        await s3.delete(key).catch(() => {});
      }),
      { numRuns: 200 },
    );
    // Nothing was ever written beside the root.
    expect(await readdir(top)).toEqual(['root']);
    for (const p of await allPaths(root)) {
      expect(p.startsWith(root + path.sep)).toBe(true);
      expect((await lstat(p)).isSymbolicLink()).toBe(false);
    }
  });

  it('list/deletePrefix agree on prefixes', async () => {
    await fc.assert(
      fc.asyncProperty(hostileKey, async (prefix) => {
        const l = await outcome(() => local.list(prefix));
        const s = await outcome(() => s3.list(prefix));
        expect(l, JSON.stringify(prefix)).toBe(s);
        if (prefix !== '')
          expect(await outcome(() => local.deletePrefix(prefix))).toBe(
            await outcome(() => s3.deletePrefix(prefix)),
          );
      }),
      { numRuns: 300 },
    );
  });
});
