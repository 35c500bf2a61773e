import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { needs } from '@monorepo/test-utils';
import { ROOT_HINT, canMountTmpfs, mountTmpfs, unmount } from '../test/test-helpers.js';
import { FilesystemKinds } from './filesystem-kinds.js';

const mounts = needs('mounting filesystems (root)', canMountTmpfs(), ROOT_HINT);

describe('FilesystemKinds', mounts, () => {
  // A root on tmpfs (local) with one top-level folder on procfs (a filesystem it does not know: remote).
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'fs-kinds-'));
    mountTmpfs(root, '1m');
    await mkdir(path.join(root, 'uploads', 'u1', 'deep'), { recursive: true });
    await mkdir(path.join(root, 'elsewhere'));
    execFileSync('mount', ['-t', 'proc', 'proc', path.join(root, 'elsewhere')]);
  });
  afterEach(async () => {
    unmount(path.join(root, 'elsewhere'));
    unmount(root);
    await rm(root, { recursive: true, force: true });
  });

  it('learns in the background, per top-level folder, which folders are local', async () => {
    const kinds = new FilesystemKinds();
    // Unknown at first: the caller takes the asynchronous path meanwhile.
    expect(kinds.local(root, path.join(root, 'uploads', 'u1', 'deep'))).toBe(false);
    expect(kinds.local(root, root)).toBe(false);
    await vi.waitFor(() => expect(kinds.local(root, path.join(root, 'uploads', 'u1'))).toBe(true));
    await vi.waitFor(() => expect(kinds.local(root, root)).toBe(true));
    expect(kinds.local(root, path.join(root, 'uploads'))).toBe(true);
  });

  it('keeps a filesystem it does not know as remote, and a folder it cannot ask', async () => {
    const kinds = new FilesystemKinds();
    const elsewhere = path.join(root, 'elsewhere');
    expect(await kinds.learn(elsewhere)).toBe(false);
    expect(kinds.local(root, path.join(elsewhere, 'self'))).toBe(false);
    const missing = path.join(root, 'missing');
    await expect(kinds.learn(missing)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(kinds.local(root, path.join(missing, 'x'))).toBe(false);
    // Asked again later: it is there now.
    await mkdir(missing);
    await vi.waitFor(() => expect(kinds.local(root, path.join(missing, 'x'))).toBe(true));
    // A root not yet resolved is never local.
    expect(kinds.local(undefined, root)).toBe(false);
  });
});
