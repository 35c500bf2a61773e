import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { StorageError, compareKeys } from '@monorepo/storage-core';
import type { StorageOperation } from '@monorepo/storage-core';
import { errnoCode, mapFsError } from './fs-errors.js';
import type { FileEntry, LocalFiles } from './local-files.js';
import { isReservedName, isTempName, sidecarName } from './reserved-names.js';
import { removeIfStale } from './sweeper.js';

/**
 * Files under `prefix` in byte-wise key order (the order S3 lists in), strictly after `after` when given.
 * Directories are read one at a time and sorted as if their names ended in `/`; symbolic links, reserved
 * files (temps, sidecars) and anything but regular files are skipped. Stale temp files met on the way are
 * removed.
 */
export async function* walk(
  files: LocalFiles,
  prefix: string,
  after: string | undefined,
  operation: StorageOperation,
): AsyncGenerator<FileEntry> {
  const root = await files.root.root();
  const slash = prefix.lastIndexOf('/');
  const segments = slash >= 0 ? prefix.slice(0, slash).split('/') : [];
  let dir: string;
  try {
    dir = await files.root.directory(root, segments, prefix, operation, false);
  } catch (error) {
    // Nothing to list, or the prefix runs through a symbolic link (never followed).
    const code = errnoCode(error) ?? (error instanceof StorageError ? error.code : undefined);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return;
    throw mapFsError(error, operation, prefix);
  }
  yield* walkDir(
    files,
    dir,
    slash >= 0 ? prefix.slice(0, slash + 1) : '',
    prefix.slice(slash + 1),
    after,
  );
}

async function* walkDir(
  files: LocalFiles,
  dir: string,
  keyPrefix: string,
  namePrefix: string,
  after: string | undefined,
): AsyncGenerator<FileEntry> {
  let dirents;
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  const candidates: Array<{ name: string; sortKey: Buffer; isDir: boolean }> = [];
  const sidecars = new Set<string>();
  for (const dirent of dirents) {
    const { name } = dirent;
    if (isReservedName(name)) {
      if (isTempName(name)) void removeIfStale(files, path.join(dir, name));
      else sidecars.add(name);
      continue;
    }
    if (!name.startsWith(namePrefix) || dirent.isSymbolicLink()) continue;
    const isDir = dirent.isDirectory();
    if (!isDir && !dirent.isFile()) continue;
    candidates.push({
      name,
      isDir,
      sortKey: Buffer.from(keyPrefix + name + (isDir ? '/' : ''), 'utf8'),
    });
  }
  candidates.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  const afterBytes = after === undefined ? undefined : Buffer.from(after, 'utf8');
  for (const candidate of candidates) {
    const key = keyPrefix + candidate.name;
    if (candidate.isDir) {
      const dirKey = `${key}/`;
      if (after !== undefined && compareKeys(dirKey, after) < 0 && !after.startsWith(dirKey))
        continue;
      yield* walkDir(files, path.join(dir, candidate.name), dirKey, '', after);
      continue;
    }
    if (afterBytes && Buffer.compare(candidate.sortKey, afterBytes) <= 0) continue;
    try {
      const stats = await lstat(path.join(dir, candidate.name), { bigint: true });
      if (stats.isFile())
        yield {
          key,
          dir,
          name: candidate.name,
          stats,
          sidecar: sidecars.size > 0 && sidecars.has(sidecarName(candidate.name)),
        };
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
}
