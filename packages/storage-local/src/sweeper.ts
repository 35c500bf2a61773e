import { lstat, readFile, readdir, rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { prune } from './local-files.js';
import type { LocalFiles } from './local-files.js';
import { isMultipartDir, isReservedName, isTempName, isVisibilityDir } from './reserved-names.js';

/**
 * Removes temporary files older than `olderThanMs` (`0`: all of them) left by writers that died mid-upload,
 * multipart uploads untouched for that long (each counts as one), and sidecars whose data file is gone, then
 * prunes empty directories unchanged for that long. Returns how many leftovers it removed.
 */
export async function sweep(files: LocalFiles, olderThanMs: number): Promise<number> {
  const root = await files.root.root();
  let removed = 0;
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const names = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && isMultipartDir(entry.name)) {
        if (await isStaleUpload(full, olderThanMs)) {
          await rm(full, { recursive: true, force: true });
          removed += 1;
        }
      } else if (entry.isDirectory() && isVisibilityDir(entry.name))
        removed += await removeOrphanMarkers(full, names);
      else if (entry.isDirectory()) await visit(full);
      else if (isTempName(entry.name) && (await isStale(full, olderThanMs))) {
        removed += await removed1(full);
      } else if (isReservedName(entry.name) && !isTempName(entry.name)) {
        removed += await removeOrphanSidecar(full, names);
      }
    }
    // A directory a writer has just made (mkdir, then its rename into it) is empty for a moment: only an empty
    // directory as old as the stale age is a leftover.
    if (dir !== root && (await isStale(dir, olderThanMs))) await prune(files, dir);
  };
  await visit(root);
  return removed;
}

/** Removes a temp file met during a listing when it is older than the configured stale age. */
export async function removeIfStale(files: LocalFiles, file: string): Promise<void> {
  if (await isStale(file, files.staleTempAfterMs)) await unlink(file).catch(() => {});
}

/** Markers whose object is gone (a writer died between removing the data and its marker). */
async function removeOrphanMarkers(markers: string, names: Set<string>): Promise<number> {
  let removed = 0;
  for (const name of await readdir(markers).catch(() => [] as string[]))
    if (!names.has(name)) removed += await removed1(path.join(markers, name));
  await rmdir(markers).catch(() => {});
  return removed;
}

async function removeOrphanSidecar(full: string, names: Set<string>): Promise<number> {
  try {
    const { name } = JSON.parse(await readFile(full, 'utf8')) as { name?: string };
    if (typeof name === 'string' && names.has(name)) return 0;
  } catch {
    // unreadable sidecar: treat as orphan
  }
  return removed1(full);
}

function removed1(file: string): Promise<number> {
  return unlink(file).then(
    () => 1,
    () => 0,
  );
}

/** An upload is stale when neither its directory nor any file in it (a part arriving) changed for that long. */
async function isStaleUpload(dir: string, olderThanMs: number): Promise<boolean> {
  if (olderThanMs <= 0) return true;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const file of [dir, ...names.map((name) => path.join(dir, name))])
    if (!(await isStale(file, olderThanMs))) return false;
  return true;
}

async function isStale(file: string, olderThanMs: number): Promise<boolean> {
  try {
    const age = Date.now() - (await lstat(file)).mtimeMs;
    return olderThanMs <= 0 || age >= olderThanMs;
  } catch {
    return false;
  }
}
