import type { BigIntStats } from 'node:fs';
import { lstat, rmdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { contentTypeFromKey } from '@monorepo/storage-core';
import type { ObjectInfo, StorageOperation } from '@monorepo/storage-core';
import type { DirectorySync } from './directory-sync.js';
import type { FilesystemKinds } from './filesystem-kinds.js';
import { errnoCode, mapFsError } from './fs-errors.js';
import type { KeyLock } from './key-lock.js';
import type { Location, SafeRoot } from './safe-root.js';
import { fingerprint } from './sidecar.js';
import type { Sidecars, StoredMeta } from './sidecar.js';

/** What every part of the local backend shares: the root, sidecars, per-file locks and the settings. */
export interface LocalFiles {
  root: SafeRoot;
  sidecars: Sidecars;
  locks: KeyLock;
  fsync: boolean;
  fileMode: number;
  staleTempAfterMs: number;
  kinds: FilesystemKinds;
  /** fsyncs directories, so a rename or unlink in them survives a crash. */
  dirs: DirectorySync;
}

/** True when metadata calls on files in `dir` may run synchronously (see {@link FilesystemKinds}). */
export function quickMetadata(files: LocalFiles, dir: string): boolean {
  return files.kinds.local(files.root.resolved, dir);
}

/** A file found under the root. */
export interface FileEntry {
  key: string;
  dir: string;
  name: string;
  stats: BigIntStats;
  /** From a directory walk: whether a sidecar was there (so listings skip reading absent ones). */
  sidecar?: boolean;
}

/** The attributes an object has without a sidecar. */
export function defaultMeta(key: string): StoredMeta {
  return { contentType: contentTypeFromKey(key), metadata: {} };
}

/** True when `meta` differs from what the key alone implies, so it must be kept in a sidecar. */
export function needsSidecar(key: string, meta: StoredMeta): boolean {
  return (
    meta.contentType !== contentTypeFromKey(key) ||
    meta.cacheControl !== undefined ||
    Object.keys(meta.metadata).length > 0
  );
}

/** The fingerprint of the file now at `file`, or `undefined` when there is none. */
export async function currentFingerprint(file: string): Promise<string | undefined> {
  try {
    return fingerprint(await lstat(file, { bigint: true }));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** The {@link ObjectInfo} of a file, with its sidecar's attributes when `withMeta`. */
export async function objectInfo(
  files: LocalFiles,
  entry: FileEntry,
  withMeta: boolean,
): Promise<ObjectInfo> {
  const { stats } = entry;
  const stored =
    withMeta && entry.sidecar !== false
      ? await files.sidecars.read(entry.dir, entry.name, fingerprint(stats))
      : undefined;
  const meta = stored ?? defaultMeta(entry.key);
  const info: ObjectInfo = {
    key: entry.key,
    size: Number(stats.size),
    contentType: meta.contentType,
    etag: etagOf(stats),
    // To the nearest millisecond: a time set with utimes (a kept `lastModified`) reads back as it was given,
    // not a nanosecond short of it.
    lastModified: new Date(Number((stats.mtimeNs + 500_000n) / 1_000_000n)),
    metadata: withMeta ? { ...meta.metadata } : {},
  };
  if (withMeta && meta.cacheControl !== undefined) info.cacheControl = meta.cacheControl;
  return info;
}

/** Removes now-empty directories from `dir` up to (not including) the root. */
export async function prune(files: LocalFiles, dir: string): Promise<void> {
  const root = await files.root.root();
  let current = dir;
  while (current.startsWith(root + path.sep)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = path.dirname(current);
  }
}

/** Opens the regular file at `key` for reading (no link followed) with its stats; anything else is an error. */
export async function openFile(
  files: LocalFiles,
  key: string,
  operation: StorageOperation,
): Promise<{ handle: FileHandle; stats: BigIntStats; loc: Location }> {
  let handle: FileHandle | undefined;
  try {
    const opened = await files.root.openForRead(key, operation);
    handle = opened.handle;
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile())
      throw Object.assign(new Error('EISDIR'), { code: 'EISDIR', syscall: 'open' });
    return { handle, stats, loc: opened.loc };
  } catch (error) {
    await handle?.close();
    throw mapFsError(error, operation, key);
  }
}

/** A file's ETag: its modification time (ns) and size, so it changes whenever the content is replaced. */
export function etagOf(stats: BigIntStats): string {
  return `"${stats.mtimeNs.toString(16)}-${stats.size.toString(16)}"`;
}
