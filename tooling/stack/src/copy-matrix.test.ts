import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalStorageAdapter, StorageFactory } from '@monorepo/storage';
import type { StorageAdapter, Visibility } from '@monorepo/storage';
import {
  backupToFile,
  parseBackendSpec,
  restoreFromFile,
  syncStorage,
} from '@monorepo/storage-cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

/**
 * Every way the storage CLI copies objects — sync local↔local, local↔S3, S3↔S3, and a backup of either
 * restored to either — keeps each object as it was: bytes, content type, metadata, visibility and
 * modification time. Each copy lands in a running stack's storage (local behind nginx, or radosgw behind
 * nginx), where a private copy must be refused anonymously by the CDN and the bucket, and a public one served.
 */

type Side = 'local' | 's3';
const FOLDERS = ['uploads', 'processed', 'generated'] as const;
const VISIBILITIES: Visibility[] = ['private', 'public'];

interface Seeded {
  key: string;
  body: string;
  contentType: string;
  metadata: Record<string, string>;
  visibility: Visibility;
  lastModified: Date;
}

const status = async (url: string) => {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
};

describe('copies keep the object: sync, backup and restore in every direction (real nginx, radosgw)', () => {
  let work: string;
  const stacks = {} as Record<Side, Stack>;
  const targets = {} as Record<Side, StorageAdapter>;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'copy-matrix-'));
    const env = { LOG_LEVEL: 'warn' };
    stacks.local = await startStack({
      dataDir: path.join(work, 'local'),
      storageType: 'local',
      env,
    });
    stacks.s3 = await startStack({ dataDir: path.join(work, 's3'), storageType: 's3', env });
    for (const side of ['local', 's3'] as const)
      targets[side] = StorageFactory.fromEnv(stacks[side].storageEnv);
  }, 240_000);

  afterAll(async () => {
    await stacks.local?.stop();
    await stacks.s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** A scratch store of this kind, apart from the stacks' own objects. */
  const scratch = (side: Side, name: string): StorageAdapter =>
    side === 'local'
      ? new LocalStorageAdapter({
          type: 'local',
          baseUrl: 'http://scratch.invalid',
          localBasePath: path.join(work, 'scratch', name),
        })
      : StorageFactory.createAdapter(
          parseBackendSpec(`s3://${stacks.s3.storageEnv.S3_BUCKET}/scratch-${name}/`, {
            ...stacks.s3.storageEnv,
          }),
        );

  /** A private and a public object in each folder, each with its own type, metadata and an old date. */
  async function seed(storage: StorageAdapter, run: string): Promise<Seeded[]> {
    const objects: Seeded[] = [];
    let n = 0;
    for (const folder of FOLDERS)
      for (const visibility of VISIBILITIES) {
        n += 1;
        const object: Seeded = {
          key: `${folder}/matrix-${run}/${visibility} file.txt`,
          body: `${run} ${folder} ${visibility} ${'x'.repeat(n * 100)}`,
          contentType: n % 2 ? 'text/plain; charset=utf-8' : 'application/x-matrix',
          metadata: { origin: run, n: String(n) },
          visibility,
          lastModified: new Date(Date.UTC(2021, n, 3, 4, 5, 6, 100 + n)),
        };
        await storage.upload(object.key, object.body, object.contentType, {
          metadata: object.metadata,
          visibility,
          lastModified: object.lastModified,
        });
        objects.push(object);
      }
    return objects;
  }

  async function expectKept(side: Side, objects: Seeded[]): Promise<void> {
    const storage = targets[side];
    for (const object of objects) {
      const info = await storage.stat(object.key);
      const { 'sync-etag': _sync, ...metadata } = info.metadata;
      expect({
        key: info.key,
        body: (await storage.download(object.key)).toString(),
        contentType: info.contentType,
        metadata,
        visibility: info.visibility,
        lastModified: info.lastModified.toISOString(),
      }).toEqual({
        key: object.key,
        body: object.body,
        contentType: object.contentType,
        metadata: object.metadata,
        visibility: object.visibility,
        lastModified: object.lastModified.toISOString(),
      });
      const want = object.visibility === 'public' ? 200 : 403;
      // Through the CDN (nginx), unsigned.
      expect([object.key, await status(storage.getPublicUrl(object.key))]).toEqual([
        object.key,
        want,
      ]);
      // At the bucket itself, anonymously.
      if (side === 's3')
        expect([object.key, await status(storage.getOriginUrl!(object.key))]).toEqual([
          object.key,
          want,
        ]);
    }
  }

  for (const from of ['local', 's3'] as const)
    for (const to of ['local', 's3'] as const) {
      it(`sync ${from} -> ${to}`, async () => {
        const run = `sync-${from}-${to}`;
        const source = scratch(from, run);
        const objects = await seed(source, run);
        const summary = await syncStorage(source, targets[to], {
          prefix: '',
          dryRun: true,
        });
        // A dry run counts what it would copy, bytes included, and changes nothing.
        expect(summary).toMatchObject({ copied: objects.length, failed: [] });
        expect(summary.copiedBytes).toBe(objects.reduce((sum, o) => sum + o.body.length, 0));
        expect(await targets[to].exists(objects[0]!.key)).toBe(false);
        const done = await syncStorage(source, targets[to]);
        expect(done).toMatchObject({ copied: objects.length, failed: [] });
        await expectKept(to, objects);
        // Run again after the source changed who may read one object: nothing copied, the visibility follows.
        await source.setVisibility(objects[0]!.key, 'public');
        const again = await syncStorage(source, targets[to]);
        expect(again).toMatchObject({ copied: 0, skipped: objects.length, failed: [] });
        expect((await targets[to].stat(objects[0]!.key)).visibility).toBe('public');
      }, 60_000);

      it(`backup of ${from} restored to ${to}`, async () => {
        const run = `backup-${from}-${to}`;
        const source = scratch(from, run);
        const objects = await seed(source, run);
        const file = path.join(work, `${run}.tar.gz`);
        const starts: Array<[number, number]> = [];
        const progress = {
          start: (o: number, b: number) => starts.push([o, b]),
          advance: () => {},
          log: () => {},
          stop: () => {},
        };
        const total = objects.reduce((sum, o) => sum + o.body.length, 0);
        expect(await backupToFile(source, file, { progress })).toEqual({
          objects: objects.length,
          bytes: total,
        });
        expect(await restoreFromFile(targets[to], file, { progress })).toEqual({
          objects: objects.length,
          bytes: total,
        });
        // Backup and restore both know the totals from the start.
        expect(starts).toEqual([
          [objects.length, total],
          [objects.length, total],
        ]);
        await expectKept(to, objects);
      }, 60_000);
    }
});
