import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { compareKeys, isStorageError } from '@monorepo/storage-core';
import type { ObjectInfo, StorageAdapter, StorageErrorCode } from '@monorepo/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdapterCapabilities } from './adapter-capabilities.js';
import {
  INVALID_KEYS,
  WEIRD_KEYS,
  hashStream,
  pseudoRandomBytes,
  pseudoRandomStream,
  sha256,
} from './contract-fixtures.js';

/** What a contract factory returns: an adapter over an empty keyspace, and how to dispose of it. */
export type ContractTarget =
  | StorageAdapter
  | {
      adapter: StorageAdapter;
      cleanup?: () => Promise<void> | void;
      /**
       * Runs `use` with an adapter over the same keyspace that is refused access by the backend (wrong
       * credentials, an unreadable directory), then restores access. Without it the permission tests skip.
       */
      withoutPermission?: <T>(use: (denied: StorageAdapter) => Promise<T>) => Promise<T>;
      /**
       * Leaves one leftover of an interrupted write in the keyspace, as a crashed writer would (a temporary
       * file, an unfinished multipart upload). Without it the sweep tests skip.
       */
      leaveIncomplete?: () => Promise<void>;
    };

/** Called before every test; must return an adapter whose keyspace is empty. */
export type ContractFactory = () => ContractTarget | Promise<ContractTarget>;

async function expectCode(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a StorageError with code ${code}`).toBeDefined();
  if (!isStorageError(caught, code)) {
    throw new Error(
      `expected StorageError ${code}, got ${String((caught as Error)?.name)}: ${String((caught as Error)?.message)}`,
      {
        cause: caught,
      },
    );
  }
}

function expectCodeSync(fn: () => unknown, code: StorageErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isStorageError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function keysOf(adapter: StorageAdapter, prefix = ''): Promise<string[]> {
  return (await collect(adapter.listAll(prefix))).map((item) => item.key);
}

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

/**
 * The behaviour every {@link StorageAdapter} must share. Register it in a
 * vitest file; `factory` runs before each test and must return an adapter
 * over an empty keyspace (a fresh directory, a fresh bucket prefix, ...).
 */
export function describeStorageAdapterContract(
  name: string,
  factory: ContractFactory,
  capabilities: AdapterCapabilities = {},
): void {
  describe(`StorageAdapter contract: ${name}`, () => {
    let storage: StorageAdapter;
    let cleanup: (() => Promise<void> | void) | undefined;
    let withoutPermission: Extract<ContractTarget, { adapter: unknown }>['withoutPermission'];
    let leaveIncomplete: Extract<ContractTarget, { adapter: unknown }>['leaveIncomplete'];

    beforeEach(async () => {
      const target = await factory();
      if ('adapter' in target) {
        storage = target.adapter;
        cleanup = target.cleanup;
        withoutPermission = target.withoutPermission;
        leaveIncomplete = target.leaveIncomplete;
      } else {
        storage = target;
        cleanup = undefined;
        withoutPermission = undefined;
        leaveIncomplete = undefined;
      }
    });

    afterEach(async () => {
      await cleanup?.();
    });

    describe('round trips', () => {
      const cases: Array<[string, Buffer]> = [
        ['empty', Buffer.alloc(0)],
        ['one byte', Buffer.from([0x2a])],
        ['every byte value', Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256))],
        ['1 MiB binary', pseudoRandomBytes(1024 * 1024, 7)],
      ];
      for (const [label, bytes] of cases) {
        it(`stores and returns ${label} byte-exact`, async () => {
          const url = await storage.upload(`rt/${label}.bin`, bytes, 'application/octet-stream');
          expect(url).toBe(storage.getPublicUrl(`rt/${label}.bin`));
          expect((await storage.download(`rt/${label}.bin`)).equals(bytes)).toBe(true);
          expect(
            (await readAll(await storage.downloadStream(`rt/${label}.bin`))).equals(bytes),
          ).toBe(true);
          expect((await storage.stat(`rt/${label}.bin`)).size).toBe(bytes.length);
        });
      }

      it('accepts strings (UTF-8) and Uint8Arrays', async () => {
        await storage.upload('rt/text.txt', 'Hello, 世界 👋', 'text/plain');
        expect((await storage.download('rt/text.txt')).toString('utf8')).toBe('Hello, 世界 👋');
        const view = new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4);
        await storage.upload('rt/view.bin', view, 'application/octet-stream');
        expect([...(await storage.download('rt/view.bin'))]).toEqual([8, 7, 6]);
      });

      it('streams a large object in and out byte-exact', async () => {
        const size = capabilities.largeObjectBytes ?? 20 * 1024 * 1024;
        const expected = await hashStream(pseudoRandomStream(size, 99));
        await storage.upload(
          'rt/large.bin',
          pseudoRandomStream(size, 99),
          'application/octet-stream',
        );
        const actual = await hashStream(await storage.downloadStream('rt/large.bin'));
        expect(actual).toEqual(expected);
        expect((await storage.stat('rt/large.bin')).size).toBe(size);
      });

      it('takes a stream with a declared contentLength', async () => {
        const bytes = pseudoRandomBytes(300_000, 3);
        await storage.upload('rt/sized.bin', Readable.from([bytes]), 'application/octet-stream', {
          contentLength: bytes.length,
        });
        expect(sha256(await storage.download('rt/sized.bin'))).toBe(sha256(bytes));
      });
    });

    describe('attributes', () => {
      it('round-trips content type, cache control and metadata', async () => {
        await storage.upload('attr/a.json', '{"a":1}', 'application/json; charset=utf-8', {
          cacheControl: 'public, max-age=60',
          metadata: { owner: 'user-123', 'job-id': 'job-456' },
        });
        const info = await storage.stat('attr/a.json');
        expect(info.key).toBe('attr/a.json');
        expect(info.contentType).toBe('application/json; charset=utf-8');
        expect(info.cacheControl).toBe('public, max-age=60');
        expect(info.metadata).toEqual({ owner: 'user-123', 'job-id': 'job-456' });
        expect(info.size).toBe(7);
        expect(typeof info.etag).toBe('string');
        expect(info.etag.length).toBeGreaterThan(2);
        expect(info.lastModified).toBeInstanceOf(Date);
        expect(Math.abs(info.lastModified.getTime() - Date.now())).toBeLessThan(5 * 60_000);
      });

      it('keeps a content type that differs from the extension', async () => {
        await storage.upload('attr/photo.txt', 'not really text', 'image/png');
        expect((await storage.stat('attr/photo.txt')).contentType).toBe('image/png');
      });

      it('replaces attributes on overwrite', async () => {
        await storage.upload('attr/b.bin', 'one', 'text/csv', {
          metadata: { v: '1' },
          cacheControl: 'no-cache',
        });
        await storage.upload('attr/b.bin', 'second', 'image/gif');
        const info = await storage.stat('attr/b.bin');
        expect(info.contentType).toBe('image/gif');
        expect(info.metadata).toEqual({});
        expect(info.cacheControl).toBeUndefined();
      });

      it('returns stored attributes from list when asked', async () => {
        await storage.upload('attr/c/x.dat', 'x', 'text/markdown', { metadata: { k: 'v' } });
        const page = await storage.list('attr/c/', { metadata: true });
        expect(page.items).toHaveLength(1);
        expect(page.items[0]).toMatchObject({
          key: 'attr/c/x.dat',
          contentType: 'text/markdown',
          metadata: { k: 'v' },
          size: 1,
        });
        const plain = await storage.list('attr/c/');
        expect(plain.items[0]).toMatchObject({ key: 'attr/c/x.dat', size: 1, metadata: {} });
      });

      it('changes the etag when the content changes', async () => {
        await storage.upload('attr/e.txt', 'aaaa', 'text/plain');
        const first = (await storage.stat('attr/e.txt')).etag;
        await storage.upload('attr/e.txt', 'bbbbbbbb', 'text/plain');
        expect((await storage.stat('attr/e.txt')).etag).not.toBe(first);
      });
    });

    describe('missing keys', () => {
      it('throws ENOENT from download, downloadStream, stat, copy and move', async () => {
        await expectCode(storage.download('missing/a'), 'ENOENT');
        await expectCode(storage.downloadStream('missing/a'), 'ENOENT');
        await expectCode(storage.downloadStream('missing/a', { start: 0, end: 1 }), 'ENOENT');
        await expectCode(storage.stat('missing/a'), 'ENOENT');
        await expectCode(storage.copy('missing/a', 'missing/b'), 'ENOENT');
        await expectCode(storage.move('missing/a', 'missing/b'), 'ENOENT');
        expect(await storage.exists('missing/b')).toBe(false);
      });

      it('treats a prefix as no object', async () => {
        await storage.upload('dir/inside.txt', 'x', 'text/plain');
        expect(await storage.exists('dir')).toBe(false);
        await expectCode(storage.download('dir'), 'ENOENT');
        await expectCode(storage.stat('dir'), 'ENOENT');
      });

      it('deletes idempotently', async () => {
        await storage.delete('never/was');
        await storage.upload('del/me.txt', 'x', 'text/plain');
        expect(await storage.exists('del/me.txt')).toBe(true);
        await storage.delete('del/me.txt');
        expect(await storage.exists('del/me.txt')).toBe(false);
        await storage.delete('del/me.txt');
        expect(await keysOf(storage)).toEqual([]);
      });
    });

    describe('permissions', () => {
      it('reports a refused read as EACCES, never as a missing object', async (ctx) => {
        if (!withoutPermission) return ctx.skip();
        await storage.upload('perm/a.txt', 'secret', 'text/plain');
        await withoutPermission(async (denied) => {
          await expectCode(denied.exists('perm/a.txt'), 'EACCES');
          await expectCode(denied.exists('perm/missing.txt'), 'EACCES');
          await expectCode(denied.stat('perm/a.txt'), 'EACCES');
          await expectCode(denied.download('perm/a.txt'), 'EACCES');
          await expectCode(denied.checkHealth(), 'EACCES');
        });
        expect((await storage.download('perm/a.txt')).toString()).toBe('secret');
      });

      it('passes its health check when the backend is usable', async () => {
        await storage.checkHealth();
        expect(await keysOf(storage)).toEqual([]);
      });
    });

    describe('leftovers of interrupted writes', () => {
      it('sweepIncomplete removes old leftovers, keeps recent ones, and never touches objects', async (ctx) => {
        if (!leaveIncomplete) return ctx.skip();
        await storage.upload('sweep/kept.txt', 'kept', 'text/plain', { metadata: { a: 'b' } });
        await leaveIncomplete();
        await leaveIncomplete();
        // Recent leftovers may belong to a write still running: kept.
        expect(await storage.sweepIncomplete({ olderThanMs: 60 * 60 * 1000 })).toBe(0);
        expect(await storage.sweepIncomplete()).toBe(0);
        await sleep(1_100); // server clocks may round the start time up to the second
        expect(await storage.sweepIncomplete({ olderThanMs: 0 })).toBe(2);
        expect(await storage.sweepIncomplete({ olderThanMs: 0 })).toBe(0);
        expect(await keysOf(storage)).toEqual(['sweep/kept.txt']);
        expect(await storage.stat('sweep/kept.txt')).toMatchObject({ metadata: { a: 'b' } });
      });

      it('sweepIncomplete finds nothing to remove in a clean keyspace', async () => {
        await storage.upload('sweep/a.txt', 'a', 'text/plain');
        expect(await storage.sweepIncomplete({ olderThanMs: 0 })).toBe(0);
      });
    });

    describe('conditional and repeated writes', () => {
      it('ifNotExists creates once, then fails with EEXIST and keeps the original', async () => {
        await storage.upload('cond/a.txt', 'first', 'text/plain', { ifNotExists: true });
        await expectCode(
          storage.upload('cond/a.txt', 'second', 'text/plain', { ifNotExists: true }),
          'EEXIST',
        );
        await expectCode(
          storage.upload('cond/a.txt', pseudoRandomStream(10_000), 'text/plain', {
            ifNotExists: true,
          }),
          'EEXIST',
        );
        expect((await storage.download('cond/a.txt')).toString()).toBe('first');
        expect(await keysOf(storage, 'cond/')).toEqual(['cond/a.txt']);
      });

      it('overwrites', async () => {
        await storage.upload('ow/a.txt', 'a much longer first version', 'text/plain');
        await storage.upload('ow/a.txt', 'short', 'text/plain');
        expect((await storage.download('ow/a.txt')).toString()).toBe('short');
        expect((await storage.stat('ow/a.txt')).size).toBe(5);
      });

      it.skipIf(capabilities.atomicOverwrite === false)(
        'never tears content under concurrent writers',
        async () => {
          const versions = Array.from({ length: 6 }, (_, i) =>
            Buffer.alloc(256 * 1024 + i * 1000, 65 + i),
          );
          const hashes = new Set(versions.map(sha256));
          await storage.upload('race/key.bin', versions[0]!, 'application/octet-stream');
          const seen: string[] = [];
          let writing = true;
          const reader = (async () => {
            while (writing) {
              seen.push(sha256(await storage.download('race/key.bin')));
              await sleep(1);
            }
          })();
          try {
            await Promise.all(
              versions.map((bytes, i) =>
                storage.upload(
                  'race/key.bin',
                  i % 2 ? Readable.from([bytes]) : bytes,
                  'application/octet-stream',
                ),
              ),
            );
          } finally {
            writing = false;
            await reader;
          }
          expect(hashes.has(sha256(await storage.download('race/key.bin')))).toBe(true);
          for (const hash of seen) expect(hashes.has(hash)).toBe(true);
          expect(await keysOf(storage)).toEqual(['race/key.bin']);
        },
      );

      it('stores nothing when the declared contentLength is wrong', async () => {
        await expect(
          storage.upload(
            'bad/len.bin',
            Readable.from([Buffer.alloc(1000)]),
            'application/octet-stream',
            {
              contentLength: 2000,
            },
          ),
        ).rejects.toThrow();
        expect(await storage.exists('bad/len.bin')).toBe(false);
      });

      it('stores nothing when the body stream fails', async () => {
        const failing = new Readable({
          read() {
            this.push(Buffer.alloc(64 * 1024, 1));
            this.destroy(new Error('client went away'));
          },
        });
        await expect(
          storage.upload('bad/stream.bin', failing, 'application/octet-stream'),
        ).rejects.toThrow();
        expect(await storage.exists('bad/stream.bin')).toBe(false);
        expect(await keysOf(storage)).toEqual([]);
      });

      it('stores nothing when aborted', async () => {
        const controller = new AbortController();
        controller.abort();
        await expect(
          storage.upload('bad/aborted.txt', 'x', 'text/plain', { signal: controller.signal }),
        ).rejects.toThrow();
        expect(await storage.exists('bad/aborted.txt')).toBe(false);
      });
    });

    describe('range reads', () => {
      const bytes = pseudoRandomBytes(1000, 5);
      beforeEach(async () => {
        await storage.upload('range/obj.bin', bytes, 'application/octet-stream');
      });
      const read = async (start: number, end?: number) =>
        readAll(
          await storage.downloadStream(
            'range/obj.bin',
            end === undefined ? { start } : { start, end },
          ),
        );

      it('reads the first byte', async () => {
        expect((await read(0, 0)).equals(bytes.subarray(0, 1))).toBe(true);
      });
      it('reads a middle span (end inclusive)', async () => {
        expect((await read(100, 199)).equals(bytes.subarray(100, 200))).toBe(true);
      });
      it('reads the last byte', async () => {
        expect((await read(999, 999)).equals(bytes.subarray(999))).toBe(true);
      });
      it('reads an open-ended range', async () => {
        expect((await read(990)).equals(bytes.subarray(990))).toBe(true);
      });
      it('clamps an end past the object', async () => {
        expect((await read(995, 5000)).equals(bytes.subarray(995))).toBe(true);
      });
      it('rejects a start at or past the end with ERANGE', async () => {
        await expectCode(storage.downloadStream('range/obj.bin', { start: 1000 }), 'ERANGE');
        await expectCode(
          storage.downloadStream('range/obj.bin', { start: 5000, end: 6000 }),
          'ERANGE',
        );
      });
    });

    describe('keys', () => {
      const weird = WEIRD_KEYS.filter((key) =>
        key
          .split('/')
          .every((s) => Buffer.byteLength(s) <= (capabilities.maxSegmentBytes ?? Infinity)),
      );

      it('stores, lists and serves weird and Unicode keys exactly', async () => {
        for (const [i, key] of weird.entries()) {
          await storage.upload(key, `content ${i}`, 'text/plain');
        }
        for (const [i, key] of weird.entries()) {
          expect(await storage.exists(key), key).toBe(true);
          expect((await storage.download(key)).toString(), key).toBe(`content ${i}`);
          expect((await storage.stat(key)).key).toBe(key);
          const url = new URL(storage.getPublicUrl(key));
          const path = url.pathname.split('/').map(decodeURIComponent).join('/');
          expect(path.endsWith(`/${key}`), `${key} -> ${url.href}`).toBe(true);
          expect(url.search).toBe('');
          expect(url.hash).toBe('');
        }
        const expected = [...weird].sort(compareKeys);
        expect(await keysOf(storage)).toEqual(expected);
        for (const key of weird) await storage.delete(key);
        expect(await keysOf(storage)).toEqual([]);
      });

      it('keeps NFC and NFD spellings apart', async () => {
        await storage.upload('n/\u00e9', 'nfc', 'text/plain');
        await storage.upload('n/e\u0301', 'nfd', 'text/plain');
        expect((await storage.download('n/\u00e9')).toString()).toBe('nfc');
        expect((await storage.download('n/e\u0301')).toString()).toBe('nfd');
      });

      it('rejects every invalid key with EINVAL and touches nothing', async () => {
        await storage.upload('keep/me.txt', 'kept', 'text/plain');
        for (const key of INVALID_KEYS) {
          await expectCode(storage.upload(key, 'x', 'text/plain'), 'EINVAL');
          await expectCode(storage.download(key), 'EINVAL');
          await expectCode(storage.downloadStream(key), 'EINVAL');
          await expectCode(storage.exists(key), 'EINVAL');
          await expectCode(storage.delete(key), 'EINVAL');
          await expectCode(storage.stat(key), 'EINVAL');
          await expectCode(storage.copy('keep/me.txt', key), 'EINVAL');
          await expectCode(storage.copy(key, 'keep/copy.txt'), 'EINVAL');
          await expectCode(storage.move('keep/me.txt', key), 'EINVAL');
          await expectCode(storage.move(key, 'keep/moved.txt'), 'EINVAL');
          expectCodeSync(() => storage.getPublicUrl(key), 'EINVAL');
        }
        expect(await keysOf(storage)).toEqual(['keep/me.txt']);
        expect((await storage.download('keep/me.txt')).toString()).toBe('kept');
      });

      it('rejects non-string keys with EINVAL', async () => {
        await expectCode(
          storage.upload(undefined as unknown as string, 'x', 'text/plain'),
          'EINVAL',
        );
        await expectCode(storage.download(42 as unknown as string), 'EINVAL');
      });

      it('percent-encodes public URLs segment by segment', () => {
        const url = storage.getPublicUrl('dir one/file #1?.txt');
        expect(url.endsWith('/dir%20one/file%20%231%3F.txt')).toBe(true);
        expect(storage.getPublicUrl('a/b/c.jpg').endsWith('/a/b/c.jpg')).toBe(true);
      });

      if (capabilities.keyPrefixConflicts) {
        it('refuses a key that is also a directory, with EINVAL (documented capability)', async () => {
          await storage.upload('conflict/a/b', 'x', 'text/plain');
          await expectCode(storage.upload('conflict/a', 'y', 'text/plain'), 'EINVAL');
          expect(await keysOf(storage)).toEqual(['conflict/a/b']);
        });
      } else {
        it('stores a key and keys below it side by side', async () => {
          await storage.upload('conflict/a/b', 'x', 'text/plain');
          await storage.upload('conflict/a', 'y', 'text/plain');
          expect(await keysOf(storage)).toEqual(['conflict/a', 'conflict/a/b']);
        });
      }
    });

    describe('listing', () => {
      it('lists in byte-wise order and pages with a cursor over more than 1000 keys', async () => {
        const count = capabilities.pagingKeys ?? 1100;
        const stems = ['a', 'A', 'a-b', 'a/b', 'a.b', 'b', 'z', 'é', '中', '😀', '_', '~', '0'];
        const keys = Array.from(
          { length: count },
          (_, i) => `page/${stems[i % stems.length]}/${i}/${stems[(i * 7) % stems.length]}`,
        );
        await inParallel(keys, 16, (key) => storage.upload(key, 'x', 'text/plain'));
        const expected = [...keys].sort(compareKeys);

        const first = await storage.list('page/');
        expect(first.items).toHaveLength(1000);
        expect(first.cursor).toBeTypeOf('string');
        const second = await storage.list('page/', { cursor: first.cursor! });
        expect(second.cursor).toBeUndefined();
        expect([...first.items, ...second.items].map((i) => i.key)).toEqual(expected);

        const paged: ObjectInfo[] = [];
        let cursor: string | undefined;
        do {
          const page = await storage.list('page/', cursor ? { limit: 97, cursor } : { limit: 97 });
          expect(page.items.length).toBeLessThanOrEqual(97);
          paged.push(...page.items);
          cursor = page.cursor;
        } while (cursor);
        expect(paged.map((i) => i.key)).toEqual(expected);
        expect((await collect(storage.listAll('page/'))).map((i) => i.key)).toEqual(expected);
      });

      it('isolates prefixes byte-wise', async () => {
        for (const key of ['a/x', 'a/y/z', 'ab', 'abc/d', 'b'])
          await storage.upload(key, key, 'text/plain');
        expect(await keysOf(storage, 'a/')).toEqual(['a/x', 'a/y/z']);
        expect(await keysOf(storage, 'a')).toEqual(['a/x', 'a/y/z', 'ab', 'abc/d']);
        expect(await keysOf(storage, 'ab')).toEqual(['ab', 'abc/d']);
        expect(await keysOf(storage, 'a/y')).toEqual(['a/y/z']);
        expect(await keysOf(storage, 'nothing/')).toEqual([]);
        expect(await keysOf(storage)).toEqual(['a/x', 'a/y/z', 'ab', 'abc/d', 'b']);
        expect((await storage.list('a/', { limit: 1 })).items.map((i) => i.key)).toEqual(['a/x']);
      });

      it('reports size and etag in list items', async () => {
        await storage.upload('sz/one.txt', '12345', 'text/plain');
        const [item] = (await storage.list('sz/')).items;
        expect(item).toMatchObject({ key: 'sz/one.txt', size: 5 });
        expect(item!.etag).toBe((await storage.stat('sz/one.txt')).etag);
      });

      it('rejects bad limits, cursors and prefixes with EINVAL', async () => {
        await expectCode(storage.list('', { limit: 0 }), 'EINVAL');
        await expectCode(storage.list('', { limit: 1001 }), 'EINVAL');
        await expectCode(storage.list('', { cursor: 'not a cursor!' }), 'EINVAL');
        await expectCode(storage.list('../'), 'EINVAL');
        await expectCode(collect(storage.listAll('/abs')), 'EINVAL');
      });
    });

    describe('copy, move, deletePrefix', () => {
      it('copies content and attributes, leaving the source', async () => {
        await storage.upload('cp/src.bin', 'payload', 'application/x-custom', {
          metadata: { a: '1' },
          cacheControl: 'max-age=5',
        });
        await storage.copy('cp/src.bin', 'cp/deep/dst.bin');
        expect((await storage.download('cp/deep/dst.bin')).toString()).toBe('payload');
        expect(await storage.stat('cp/deep/dst.bin')).toMatchObject({
          contentType: 'application/x-custom',
          metadata: { a: '1' },
          cacheControl: 'max-age=5',
        });
        expect((await storage.download('cp/src.bin')).toString()).toBe('payload');
      });

      it('copy replaces an existing destination', async () => {
        await storage.upload('cp/a.txt', 'A', 'text/plain');
        await storage.upload('cp/b.txt', 'BBBB', 'text/csv');
        await storage.copy('cp/a.txt', 'cp/b.txt');
        expect((await storage.download('cp/b.txt')).toString()).toBe('A');
        expect((await storage.stat('cp/b.txt')).contentType).toBe('text/plain');
      });

      it('moves content and attributes, removing the source', async () => {
        await storage.upload('mv/src.txt', 'moving', 'text/x-custom', { metadata: { m: 'yes' } });
        await storage.move('mv/src.txt', 'mv/other/dst.txt');
        expect(await storage.exists('mv/src.txt')).toBe(false);
        expect((await storage.download('mv/other/dst.txt')).toString()).toBe('moving');
        expect(await storage.stat('mv/other/dst.txt')).toMatchObject({
          contentType: 'text/x-custom',
          metadata: { m: 'yes' },
        });
        expect(await keysOf(storage)).toEqual(['mv/other/dst.txt']);
      });

      it('moving a key onto itself keeps it', async () => {
        await storage.upload('mv/same.txt', 'same', 'text/plain');
        await storage.move('mv/same.txt', 'mv/same.txt');
        expect((await storage.download('mv/same.txt')).toString()).toBe('same');
      });

      it('deletes a prefix and counts what it deleted', async () => {
        const doomed = Array.from({ length: 25 }, (_, i) => `dp/x/${i % 3}/${i}.txt`);
        await inParallel([...doomed, 'dp/xy.txt', 'dp/keep.txt', 'dpx.txt'], 8, (key) =>
          storage.upload(key, 'x', 'text/plain'),
        );
        expect(await storage.deletePrefix('dp/x/')).toBe(25);
        expect(await keysOf(storage)).toEqual(['dp/keep.txt', 'dp/xy.txt', 'dpx.txt']);
        expect(await storage.deletePrefix('dp/x/')).toBe(0);
        expect(await storage.deletePrefix('dp/x')).toBe(1);
        await expectCode(storage.deletePrefix(''), 'EINVAL');
        expect(await keysOf(storage)).toEqual(['dp/keep.txt', 'dpx.txt']);
      });
    });

    if (capabilities.signedUrls) {
      describe('signed URLs', () => {
        it('signs GET and PUT URLs', async () => {
          await storage.upload('signed/a.txt', 'signed content', 'text/plain');
          const get = await storage.getSignedUrl!('signed/a.txt', { expiresIn: 60 });
          const put = await storage.getSignedUrl!('signed/b.txt', {
            method: 'PUT',
            contentType: 'text/plain',
            expiresIn: 60,
          });
          expect(new URL(get).searchParams.size).toBeGreaterThan(0);
          expect(new URL(put).searchParams.size).toBeGreaterThan(0);
          if (capabilities.signedUrls === 'http') {
            const got = await fetch(get);
            expect(got.status).toBe(200);
            expect(await got.text()).toBe('signed content');
            const sent = await fetch(put, {
              method: 'PUT',
              body: 'uploaded directly',
              headers: { 'content-type': 'text/plain' },
            });
            expect(sent.status).toBe(200);
            expect((await storage.download('signed/b.txt')).toString()).toBe('uploaded directly');
          }
        });

        it('rejects lifetimes out of range with ECONFIG', async () => {
          await expectCode(storage.getSignedUrl!('signed/a.txt', { expiresIn: 0 }), 'ECONFIG');
          await expectCode(storage.getSignedUrl!('signed/a.txt', { expiresIn: 604801 }), 'ECONFIG');
          await expectCode(storage.getSignedUrl!('../x'), 'EINVAL');
        });
      });
    }
  });
}
