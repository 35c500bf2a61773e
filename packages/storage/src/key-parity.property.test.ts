import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { s3ConfigFor, s3TestTarget } from '@monorepo/dev-servers';
import type { S3TestServer } from '@monorepo/dev-servers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorageAdapter, S3StorageAdapter, isStorageError, validateKey } from './index.js';
import type { StorageAdapter } from './index.js';

// Keys built from the characters that matter: separators, dots, escapes, controls, Unicode, percent forms.
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
const keyArb = fc.oneof(
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

describe('hostile keys: every backend accepts and rejects alike, and nothing leaves the root', () => {
  let top: string;
  let root: string;
  let local: StorageAdapter;
  let s3: StorageAdapter;
  let server: S3TestServer;
  beforeAll(async () => {
    // A real S3 server over HTTP (S3_ENDPOINT when set, else s3rver), under a prefix of its own.
    server = await s3TestTarget();
    s3 = new S3StorageAdapter(
      s3ConfigFor(server, { prefix: `key-parity-${process.pid}-${Date.now()}/` }),
    );
    top = await mkdtemp(path.join(os.tmpdir(), 'key-parity-'));
    root = path.join(top, 'root');
    local = new LocalStorageAdapter({ type: 'local', baseUrl: 'http://x', localBasePath: root });
  });
  afterAll(async () => {
    await rm(top, { recursive: true, force: true });
    await server?.stop();
  });

  it('upload/download/stat/exists/delete agree on accept or reject for any generated key', async () => {
    await fc.assert(
      fc.asyncProperty(keyArb, async (key) => {
        const valid = (() => {
          try {
            validateKey(key);
            return true;
          } catch {
            return false;
          }
        })();
        // Local-only limits (documented capability flags): 255-byte segments, and a key cannot also be a directory.
        const localLimited = valid && key.split('/').some((s) => Buffer.byteLength(s) > 255);
        for (const op of [
          (a: StorageAdapter) => a.upload(key, 'x', 'text/plain'),
          (a: StorageAdapter) => a.download(key),
          (a: StorageAdapter) => a.exists(key),
          (a: StorageAdapter) => a.stat(key),
          (a: StorageAdapter) => a.delete(key),
          (a: StorageAdapter) => Promise.resolve(a.getPublicUrl(key)),
        ]) {
          const [l, s] = [await outcome(() => op(local)), await outcome(() => op(s3))];
          if (!valid) {
            expect(l, `local ${JSON.stringify(key)}`).toBe('EINVAL');
            expect(s, `s3 ${JSON.stringify(key)}`).toBe('EINVAL');
          } else if (!localLimited && l !== 'EINVAL') {
            expect(l, JSON.stringify(key)).toBe(s);
          }
          expect(l.startsWith('raw:'), `raw error escaped for ${JSON.stringify(key)}`).toBe(false);
          expect(s.startsWith('raw:'), `raw error escaped for ${JSON.stringify(key)}`).toBe(false);
        }
        await local.delete(key).catch(() => {});
        await s3.delete(key).catch(() => {});
      }),
      { numRuns: 400 },
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
      fc.asyncProperty(keyArb, async (prefix) => {
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
