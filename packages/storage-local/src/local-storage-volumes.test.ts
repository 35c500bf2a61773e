import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStorageAdapter } from './local-storage-adapter.js';
import { needs } from '@monorepo/test-utils';
import { ROOT_HINT, allFiles, canMountTmpfs, mountTmpfs, unmount } from '../test/test-helpers.js';

const FOLDERS = ['uploads', 'generated', 'processed'];

// The compose layout: one storage root on the container's own layer, each top-level folder a volume of its own.
const tmpfs = needs('mounting tmpfs (root)', canMountTmpfs(), ROOT_HINT);

describe('local adapter over three volumes (real tmpfs mounts)', tmpfs, () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'three-volumes-'));
    for (const folder of FOLDERS) {
      await mkdir(path.join(root, folder));
      mountTmpfs(path.join(root, folder), '8m');
    }
  });
  afterEach(async () => {
    for (const folder of FOLDERS) unmount(path.join(root, folder));
    await rm(root, { recursive: true, force: true });
  });
  const adapter = (extra = {}) =>
    new LocalStorageAdapter({
      type: 'local',
      baseUrl: 'http://cdn/static',
      localBasePath: root,
      folders: FOLDERS,
      requireMountedFolders: true,
      ...extra,
    });

  it('moves an object from one volume to another, with its metadata, leaving nothing behind', async () => {
    const storage = adapter();
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    await storage.upload('uploads/u/a.bin', body, 'image/png', {
      metadata: { owner: 'u' },
      cacheControl: 'no-cache',
    });
    await storage.move('uploads/u/a.bin', 'processed/u/c.bin');
    expect(await storage.exists('uploads/u/a.bin')).toBe(false);
    expect((await storage.download('processed/u/c.bin')).equals(body)).toBe(true);
    expect(await storage.stat('processed/u/c.bin')).toMatchObject({
      contentType: 'image/png',
      cacheControl: 'no-cache',
      metadata: { owner: 'u' },
    });
    expect(await allFiles(path.join(root, 'uploads'))).toEqual([]); // no temp, no sidecar
    expect((await allFiles(path.join(root, 'processed'))).filter((f) => !f.includes('\\'))).toEqual(
      ['u/c.bin'],
    );
    // Within one volume a move is still a rename (same inode).
    await storage.upload('generated/x.txt', 'x', 'text/plain');
    await storage.move('generated/x.txt', 'generated/y.txt');
    expect((await storage.download('generated/y.txt')).toString()).toBe('x');
  });

  it('keeps the old destination whole when the destination volume fills up mid-move', async () => {
    const storage = adapter();
    await storage.upload('processed/keep.bin', Buffer.alloc(1024, 1), 'application/octet-stream');
    await storage.upload(
      'uploads/big.bin',
      Buffer.alloc(6 * 1024 * 1024, 2),
      'application/octet-stream',
    );
    await storage.upload(
      'processed/filler.bin',
      Buffer.alloc(4 * 1024 * 1024, 3),
      'application/octet-stream',
    );
    await expect(storage.move('uploads/big.bin', 'processed/keep.bin')).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect((await storage.download('processed/keep.bin')).equals(Buffer.alloc(1024, 1))).toBe(true);
    expect((await storage.stat('uploads/big.bin')).size).toBe(6 * 1024 * 1024); // source untouched
    expect((await allFiles(path.join(root, 'processed'))).sort()).toEqual([
      'filler.bin',
      'keep.bin',
    ]);
  });

  it('refuses keys outside the volumes with EINVAL naming them, before touching the disk', async () => {
    const storage = adapter();
    const error = await storage.upload('test/file.txt', 'x', 'text/plain').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EINVAL', key: 'test/file.txt' });
    expect(String((error as Error).message)).toContain('uploads/, generated/, processed/');
    await expect(storage.exists('.readyz-probe')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(storage.list('test/')).rejects.toMatchObject({ code: 'EINVAL' });
    expect((await storage.list('')).items).toEqual([]);
    expect((await storage.list('proc')).items).toEqual([]);
    expect((await readdir(root)).sort()).toEqual([...FOLDERS].sort());
  });

  it('is healthy only while every volume is mounted and writable', async () => {
    const storage = adapter();
    await storage.checkHealth();
    execFileSync('mount', ['-o', 'remount,ro', path.join(root, 'generated')]);
    await expect(storage.checkHealth()).rejects.toMatchObject({ code: 'EACCES' });
    execFileSync('mount', ['-o', 'remount,rw', path.join(root, 'generated')]);
    await storage.checkHealth();
    unmount(path.join(root, 'processed'));
    const error = await storage.checkHealth().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EUNAVAILABLE' });
    expect(String((error as Error).message)).toContain('processed/ is not a mounted volume');
    await rm(path.join(root, 'processed'), { recursive: true });
    await expect(storage.checkHealth()).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
    // Library users without the option: folders need not be mounts.
    await mkdir(path.join(root, 'processed'));
    await adapter({ requireMountedFolders: false }).checkHealth();
  });
});

describe('local adapter roots', () => {
  it('with createRoot: false, never creates a missing root and names it in a config error', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'no-root-'));
    const missing = path.join(parent, 'typo', 'path');
    const storage = new LocalStorageAdapter({
      type: 'local',
      baseUrl: 'http://x',
      localBasePath: missing,
      createRoot: false,
    });
    const error = await storage.list('').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONFIG' });
    expect(String((error as Error).message)).toContain(missing);
    await expect(storage.exists('a.txt')).rejects.toMatchObject({ code: 'ECONFIG' });
    await expect(storage.checkHealth()).rejects.toMatchObject({ code: 'ECONFIG' });
    expect(await readdir(parent)).toEqual([]);
    await rm(parent, { recursive: true });
  });
});
