import { fstatSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import {
  StorageError,
  bodyToBuffer,
  bodyToReadable,
  contentMd5Mismatch,
  defaultVisibility,
  md5Matches,
} from '@monorepo/storage-core';
import type { Body, UploadOptions, Visibility } from '@monorepo/storage-core';
import { currentFingerprint, quickMetadata } from './local-files.js';
import type { LocalFiles } from './local-files.js';
import type { Location } from './safe-root.js';
import { fingerprint } from './sidecar.js';
import {
  addVisibilityMarker,
  removeVisibilityMarker,
  writeVisibility,
} from './visibility-markers.js';
import type { StoredMeta } from './sidecar.js';

/**
 * Writes `body` into the open temporary file `tmp`, checks a declared length, calls `onBody` (the whole body is
 * in: only an I/O error can still fail the write), fsyncs and closes it.
 * Returns the bytes written and the file's stats (its ETag, and its sidecar's fingerprint): on a local filesystem
 * read synchronously from memory, elsewhere while the fsync or the close runs (the write set them; neither changes
 * them), so they cost no round trip of their own.
 */
export async function writeTemp(
  files: LocalFiles,
  handle: FileHandle,
  tmp: string,
  loc: Location,
  body: Body,
  options: UploadOptions,
  onBody?: () => void,
): Promise<{ written: number; stats: BigIntStats }> {
  let closed = false;
  try {
    const bytes = bodyToBuffer(body);
    let written: number;
    if (bytes) {
      if (options.contentMd5 && !md5Matches(bytes, options.contentMd5))
        throw contentMd5Mismatch(loc.name, 'local');
      await handle.writeFile(bytes, { signal: options.signal });
      written = bytes.length;
    } else {
      written = 0;
      for await (const chunk of bodyToReadable(body) as AsyncIterable<Buffer | string>) {
        options.signal?.throwIfAborted();
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        await handle.write(bytes);
        written += bytes.length;
      }
    }
    if (options.contentLength !== undefined && options.contentLength !== written) {
      throw new StorageError(
        'EINVAL',
        `Body of ${JSON.stringify(loc.name)} had ${written} bytes, but contentLength said ${options.contentLength}`,
        { operation: 'upload', backend: 'local' },
      );
    }
    if (options.lastModified) await handle.utimes(options.lastModified, options.lastModified);
    onBody?.();
    if (quickMetadata(files, loc.dir)) {
      const stats = fstatSync(handle.fd, { bigint: true });
      if (files.fsync) await handle.sync();
      return { written, stats };
    }
    if (files.fsync) {
      const [stats] = await Promise.all([handle.stat({ bigint: true }), handle.sync()]);
      return { written, stats };
    }
    closed = true;
    const [stats] = await Promise.all([lstat(tmp, { bigint: true }), handle.close()]);
    return { written, stats };
  } finally {
    if (!closed) await handle.close();
  }
}

/** Gives a copied temporary file the configured mode, fsyncs it and returns its stats. */
export async function finishTemp(files: LocalFiles, tmp: string): Promise<BigIntStats> {
  const handle = await open(tmp, 'r+');
  try {
    await handle.chmod(files.fileMode);
    if (files.fsync) await handle.sync();
    return await handle.stat({ bigint: true });
  } finally {
    await handle.close();
  }
}

/**
 * A marker removal begun before {@link commit} took its lock, while the data was still being written (see
 * {@link clearEarly}).
 */
export interface EarlyClear {
  done: Promise<void>;
  /** `files.locks.mark()` when it began. */
  mark: number | undefined;
}

/**
 * Starts removing the public marker of a key that is private by default and is being written private, once
 * the whole body is in: done while the file is fsynced and closed rather than after, as {@link commit} would.
 * `commit` redoes it under its lock unless no other section (which could have written a marker meanwhile)
 * ran since. Not for create-only writes (an `EEXIST` must leave the existing object as it was).
 */
export function clearEarly(files: LocalFiles, loc: Location, key: string): EarlyClear {
  const mark = files.locks.mark();
  const done = writeVisibility(
    loc.dir,
    loc.name,
    key,
    'private',
    files.fileMode,
    quickMetadata(files, loc.dir),
  );
  done.catch(() => {});
  return { done, mark };
}

/**
 * Renames `from` (a finished temp file, or the source of a move) onto `loc`, with a sidecar for `meta`
 * when `stats` (those of `from`) are given, and the visibility marker of `visibility`, then fsyncs the
 * directory. With `ifNotExists` the file is linked instead, which fails with `EEXIST` when the key exists.
 */
export async function commit(
  files: LocalFiles,
  loc: Location,
  from: string,
  stats: BigIntStats | undefined,
  meta: StoredMeta,
  ifNotExists: boolean,
  visibility: { key: string; value: Visibility; early?: EarlyClear },
  signal?: AbortSignal,
): Promise<void> {
  const quick = quickMetadata(files, loc.dir);
  const mark = () =>
    writeVisibility(loc.dir, loc.name, visibility.key, visibility.value, files.fileMode, quick);
  await files.locks.run(loc.file, async () => {
    signal?.throwIfAborted();
    // Never a moment where private content reads as public: a private marker goes in before the data,
    // a public one (or none) after it, once the old content is gone.
    const byDefault = visibility.value === defaultVisibility(visibility.key);
    // A create-only write that finds the key taken must leave the object as it was: a marker it adds is
    // taken back, and a stale one it would remove goes only once the link succeeded (there was no object).
    let undo: (() => Promise<void>) | undefined;
    let clearAfter = false;
    if (visibility.value === 'private' && ifNotExists) {
      if (byDefault) clearAfter = true;
      else if (await addVisibilityMarker(loc.dir, loc.name, 'private', files.fileMode))
        undo = () => removeVisibilityMarker(loc.dir, loc.name, 'private');
    } else if (visibility.value === 'private') {
      const early = visibility.early;
      if (early) await early.done;
      if (!early || !files.locks.undisturbedSince(early.mark)) await mark();
    }
    if (stats) {
      await files.sidecars.write(
        loc.dir,
        loc.name,
        fingerprint(stats),
        meta,
        await currentFingerprint(loc.file),
      );
    }
    if (ifNotExists) {
      try {
        await link(from, loc.file);
      } catch (error) {
        await undo?.().catch(() => {});
        throw error;
      }
      await unlink(from);
      if (clearAfter) await mark();
    } else {
      await rename(from, loc.file);
    }
    // The directory's fsync runs beside the marker's removal (a crash between them can only leave it private).
    if (visibility.value === 'public')
      await Promise.all([mark(), files.fsync ? files.dirs.sync(loc.dir) : undefined]);
  });
  if (files.fsync && visibility.value !== 'public') await files.dirs.sync(loc.dir);
}
