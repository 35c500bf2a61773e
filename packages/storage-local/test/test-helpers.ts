import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { LocalStorageAdapter } from '../src/local-storage-adapter.js';
import type { LocalStorageConfig } from '../src/local-storage-config.js';

/** A fresh temporary root per test, removed afterwards. */
export function useTempRoot(): {
  root: () => string;
  adapter: (extra?: Partial<LocalStorageConfig>) => LocalStorageAdapter;
  mkdir: () => Promise<string>;
} {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  let current = '';
  return {
    root: () => current,
    mkdir: async () => {
      current = await mkdtemp(path.join(os.tmpdir(), 'storage-local-'));
      dirs.push(current);
      return current;
    },
    adapter: (extra = {}) =>
      new LocalStorageAdapter({
        type: 'local',
        baseUrl: 'http://test/static',
        localBasePath: current,
        ...extra,
      }),
  };
}

/** Every file below `dir`, relative, including hidden ones. */
export async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** How to provide what the tmpfs tests need. */
export const ROOT_HINT = 'run the tests as root, as CI does';

/** Whether this process may mount a tmpfs (root, as in CI and the dev machines here): real separate filesystems. */
export function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = path.join(os.tmpdir(), `mount-probe-${process.pid}`);
  try {
    execFileSync('mkdir', ['-p', probe]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    execFileSync('rm', ['-rf', probe]);
  }
}

/** Mounts a tmpfs of `size` (e.g. `2m`) at `dir`. */
export function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
}

/** Lazily unmounts `dir` (ignores one that is not mounted). */
export function unmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
}
