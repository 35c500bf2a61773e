import { readdirSync, readlinkSync } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useTempRoot } from '../test/test-helpers.js';
import { DirectorySync } from './directory-sync.js';

/** This process's descriptors naming `dir` (with ` (deleted)` once it is gone). */
function descriptorsOf(dir: string): string[] {
  const names: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const named = readlinkSync(`/proc/self/fd/${fd}`);
      if (named === dir || named === `${dir} (deleted)`) names.push(named);
    } catch {
      // closed meanwhile (readdir's own descriptor)
    }
  }
  return names;
}

describe.runIf(process.platform === 'linux')('DirectorySync', () => {
  const temp = useTempRoot();

  it('keeps one descriptor per directory across fsyncs, concurrent ones included', async () => {
    const dir = await temp.mkdir();
    const dirs = new DirectorySync();
    await dirs.sync(dir);
    await Promise.all(Array.from({ length: 20 }, () => dirs.sync(dir)));
    expect(descriptorsOf(dir)).toEqual([dir]);
    dirs.close();
    await vi.waitFor(() => expect(descriptorsOf(dir)).toEqual([]));
  });

  it('opens a directory removed and made again afresh, and lets the old one go', async () => {
    const dir = path.join(await temp.mkdir(), 'sub');
    await mkdir(dir);
    const dirs = new DirectorySync();
    await dirs.sync(dir);
    await rmdir(dir);
    expect(descriptorsOf(dir)).toEqual([`${dir} (deleted)`]);
    await mkdir(dir);
    await dirs.sync(dir);
    await vi.waitFor(() => expect(descriptorsOf(dir)).toEqual([dir]));
    // One moved away: the path is opened again, the moved directory's descriptor closed.
    const moved = `${dir}-moved`;
    await rename(dir, moved);
    await mkdir(dir);
    await dirs.sync(dir);
    await vi.waitFor(() => expect([...descriptorsOf(dir), ...descriptorsOf(moved)]).toEqual([dir]));
    // And one missing is the caller's error.
    await rm(dir, { recursive: true });
    await expect(dirs.sync(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await vi.waitFor(() => expect(descriptorsOf(dir)).toEqual([]));
    dirs.close();
  });

  it('closes descriptors unused for idleMs and keeps at most max', async () => {
    const root = await temp.mkdir();
    const names = ['a', 'b', 'c', 'd'].map((name) => path.join(root, name));
    await Promise.all(names.map((dir) => mkdir(dir)));
    const dirs = new DirectorySync({ max: 2, idleMs: 100 });
    for (const dir of names) await dirs.sync(dir);
    await vi.waitFor(() => expect(names.flatMap(descriptorsOf)).toEqual(names.slice(2)));
    await vi.waitFor(() => expect(names.flatMap(descriptorsOf)).toEqual([]), { timeout: 2000 });
    // And opens them again when asked.
    await dirs.sync(names[0]!);
    expect(descriptorsOf(names[0]!)).toEqual([names[0]]);
    dirs.close();
  });
});
