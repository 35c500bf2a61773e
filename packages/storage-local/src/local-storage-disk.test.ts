import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStorageAdapter } from './local-storage-adapter.js';
import { needs } from '@monorepo/test-utils';
import { ROOT_HINT, canMountTmpfs, mountTmpfs, unmount } from '../test/test-helpers.js';

const tmpfs = needs('mounting tmpfs (root)', canMountTmpfs(), ROOT_HINT);

describe('local adapter on a full or read-only disk', tmpfs, () => {
  let mountPoint: string;
  beforeEach(async () => {
    mountPoint = await mkdtemp(path.join(os.tmpdir(), 'small-disk-'));
    mountTmpfs(mountPoint, '2m');
  });
  afterEach(async () => {
    unmount(mountPoint);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('fails a write that fills the disk with ENOSPC and keeps the previous content', async () => {
    const storage = new LocalStorageAdapter({
      type: 'local',
      baseUrl: 'http://x',
      localBasePath: mountPoint,
    });
    const previous = Buffer.alloc(512 * 1024, 1);
    await storage.upload('data/file.bin', previous, 'application/octet-stream');
    const error = await storage
      .upload('data/file.bin', Buffer.alloc(3 * 1024 * 1024, 2), 'application/octet-stream')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'InsufficientStorageError',
      code: 'ENOSPC',
      key: 'data/file.bin',
    });
    expect((await storage.download('data/file.bin')).equals(previous)).toBe(true);
    expect(await readdir(path.join(mountPoint, 'data'))).toEqual(['file.bin']); // no temp file left behind
    // A stream that runs out of space mid-way too.
    const { Readable } = await import('node:stream');
    const big = Readable.from(
      (function* () {
        for (let i = 0; i < 40; i++) yield Buffer.alloc(128 * 1024, 3);
      })(),
    );
    await expect(
      storage.upload('data/stream.bin', big, 'application/octet-stream'),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await storage.exists('data/stream.bin')).toBe(false);
    expect(await readdir(path.join(mountPoint, 'data'))).toEqual(['file.bin']);
  });

  it('reports a read-only filesystem as EACCES and changes nothing', async () => {
    const storage = new LocalStorageAdapter({
      type: 'local',
      baseUrl: 'http://x',
      localBasePath: mountPoint,
    });
    await storage.upload('ro/kept.txt', 'kept', 'text/plain');
    await mkdir(path.join(mountPoint, 'ro2'));
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    await expect(storage.upload('ro/new.txt', 'x', 'text/plain')).rejects.toMatchObject({
      code: 'EACCES',
    });
    await expect(storage.upload('ro/kept.txt', 'changed', 'text/plain')).rejects.toMatchObject({
      code: 'EACCES',
    });
    await expect(storage.delete('ro/kept.txt')).rejects.toMatchObject({ code: 'EACCES' });
    expect((await storage.download('ro/kept.txt')).toString()).toBe('kept');
  });
});
