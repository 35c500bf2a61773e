import type { BigIntStats, Dirent } from 'node:fs';
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

/** Files of one directory stat'ed at once. */
const STAT_BATCH = 32;
/** Subdirectories scanned ahead (entries read, first files stat'ed) while the walk is still in front of them. */
const READ_AHEAD = 16;

interface Candidate {
  name: string;
  sortKey: Buffer;
  isDir: boolean;
}

/** One directory's wanted entries in key order, and the stats of its first batch as they arrive. */
interface Scan {
  wanted: Candidate[];
  sidecars: Set<string>;
  firstStats: Promise<Array<BigIntStats | undefined>>;
}

function statBatch(dir: string, wanted: Candidate[], start: number) {
  const settled = Promise.all(
    wanted.slice(start, start + STAT_BATCH).map((candidate) =>
      candidate.isDir
        ? undefined
        : lstat(path.join(dir, candidate.name), { bigint: true }).catch((error: unknown) => {
            if (errnoCode(error) !== 'ENOENT') throw error;
            return undefined;
          }),
    ),
  );
  settled.catch(() => {});
  return settled;
}

/** Reads a directory (`undefined` when it has gone) and starts stat'ing its first files. */
async function scan(
  files: LocalFiles,
  dir: string,
  keyPrefix: string,
  namePrefix: string,
  after: string | undefined,
): Promise<Scan | undefined> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const candidates: Candidate[] = [];
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
  const wanted = candidates.filter((candidate) => {
    if (!candidate.isDir) return !afterBytes || Buffer.compare(candidate.sortKey, afterBytes) > 0;
    const dirKey = `${keyPrefix}${candidate.name}/`;
    return after === undefined || compareKeys(dirKey, after) >= 0 || after.startsWith(dirKey);
  });
  return { wanted, sidecars, firstStats: statBatch(dir, wanted, 0) };
}

/**
 * Yields a directory's files in key order. Subdirectories are scanned a few ahead of the walk and files are
 * stat'ed a batch at a time, in parallel, so round trips to the filesystem overlap instead of queueing.
 */
async function* walkDir(
  files: LocalFiles,
  dir: string,
  keyPrefix: string,
  namePrefix: string,
  after: string | undefined,
  scanned: Promise<Scan | undefined> = scan(files, dir, keyPrefix, namePrefix, after),
): AsyncGenerator<FileEntry> {
  const listing = await scanned;
  if (!listing) return;
  const { wanted, sidecars } = listing;
  let nextStats: Promise<Array<BigIntStats | undefined>> = listing.firstStats;
  const ahead = new Map<number, Promise<Scan | undefined>>();
  let nextAhead = 0;
  const readAhead = () => {
    for (; nextAhead < wanted.length && ahead.size < READ_AHEAD; nextAhead++) {
      const candidate = wanted[nextAhead]!;
      if (!candidate.isDir) continue;
      const key = `${keyPrefix}${candidate.name}/`;
      const pending = scan(files, path.join(dir, candidate.name), key, '', after);
      pending.catch(() => {});
      ahead.set(nextAhead, pending);
    }
  };
  for (let start = 0; start < wanted.length; start += STAT_BATCH) {
    readAhead();
    const stats = await nextStats;
    // The next batch is stat'ed while this one is yielded.
    if (start + STAT_BATCH < wanted.length) nextStats = statBatch(dir, wanted, start + STAT_BATCH);
    for (const [offset, candidate] of wanted.slice(start, start + STAT_BATCH).entries()) {
      const key = keyPrefix + candidate.name;
      if (candidate.isDir) {
        readAhead();
        const pending = ahead.get(start + offset);
        ahead.delete(start + offset);
        yield* walkDir(files, path.join(dir, candidate.name), `${key}/`, '', after, pending);
        continue;
      }
      const stat = stats[offset];
      if (stat?.isFile())
        yield {
          key,
          dir,
          name: candidate.name,
          stats: stat,
          sidecar: sidecars.size > 0 && sidecars.has(sidecarName(candidate.name)),
        };
    }
  }
}
