import { lstatSync } from 'node:fs';
import { mkdir, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultVisibility } from '@monorepo/storage-core';
import type { Visibility } from '@monorepo/storage-core';
import { errnoCode } from './fs-errors.js';
import { VISIBILITY_DIRS } from './reserved-names.js';

const other = (visibility: Visibility): Visibility =>
  visibility === 'public' ? 'private' : 'public';

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
    throw error;
  }
}

/** Whether a marker is at `file`, asked synchronously (for a local filesystem, where the lookup is in memory). */
function markerThere(file: string): boolean {
  try {
    return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch (error) {
    if (errnoCode(error) === 'ENOTDIR') return false;
    throw error;
  }
}

/**
 * Removes the `visibility` marker of `<dir>/<name>`, if any. With `quick` (a local filesystem, see
 * `FilesystemKinds`) its absence, the usual case, is learnt without a thread-pool hop or an `ENOENT` error.
 */
async function removeMarker(
  dir: string,
  name: string,
  visibility: Visibility,
  quick = false,
): Promise<void> {
  const markers = path.join(dir, VISIBILITY_DIRS[visibility]);
  const marker = path.join(markers, name);
  if (quick && !markerThere(marker)) return;
  try {
    await unlink(marker);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return;
    throw error;
  }
  await rmdir(markers).catch(() => {});
}

/** The visibility of `<dir>/<name>` (key `key`): a marker's, else the layout's default. */
export async function readVisibility(dir: string, name: string, key: string): Promise<Visibility> {
  const fallback = defaultVisibility(key);
  return (await exists(path.join(dir, VISIBILITY_DIRS[other(fallback)], name)))
    ? other(fallback)
    : fallback;
}

/**
 * Leaves exactly the marker that makes `<dir>/<name>` read as `visibility` (none for the default). Only a marker
 * of the visibility opposite to the layout's default means anything (see {@link readVisibility}), so only that
 * one is written or removed: one syscall when the default is asked for (`quick`: see {@link removeMarker}).
 */
export async function writeVisibility(
  dir: string,
  name: string,
  key: string,
  visibility: Visibility,
  fileMode: number,
  quick = false,
): Promise<void> {
  const fallback = defaultVisibility(key);
  if (visibility !== fallback) {
    const markers = path.join(dir, VISIBILITY_DIRS[visibility]);
    await mkdir(markers, { recursive: true, mode: 0o755 });
    await writeFile(path.join(markers, name), '', { mode: fileMode });
  } else {
    await removeMarker(dir, name, other(fallback), quick);
  }
}

/**
 * Writes the marker that makes `<dir>/<name>` (key `key`) read as `visibility`, the opposite of its default;
 * false when it was there already. Removing it again with {@link removeVisibilityMarker} undoes exactly this.
 */
export async function addVisibilityMarker(
  dir: string,
  name: string,
  visibility: Visibility,
  fileMode: number,
): Promise<boolean> {
  const markers = path.join(dir, VISIBILITY_DIRS[visibility]);
  await mkdir(markers, { recursive: true, mode: 0o755 });
  try {
    await writeFile(path.join(markers, name), '', { mode: fileMode, flag: 'wx' });
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** Removes the `visibility` marker of `<dir>/<name>`, if any. */
export const removeVisibilityMarker = removeMarker;

/** Removes any marker of `<dir>/<name>` (the object is gone). */
export async function removeVisibility(dir: string, name: string): Promise<void> {
  await removeMarker(dir, name, 'private');
  await removeMarker(dir, name, 'public');
}
