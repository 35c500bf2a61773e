import type { BigIntStats } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import {
  StorageError,
  bodyToBuffer,
  bodyToReadable,
  contentMd5Mismatch,
  md5Matches,
} from '@monorepo/storage-core';
import type { Body, UploadOptions, Visibility } from '@monorepo/storage-core';
import { currentFingerprint, syncDir } from './local-files.js';
import type { LocalFiles } from './local-files.js';
import type { Location } from './safe-root.js';
import { fingerprint } from './sidecar.js';
import { writeVisibility } from './visibility-markers.js';
import type { StoredMeta } from './sidecar.js';

/**
 * Writes `body` into an open temporary file, checks a declared length, fsyncs and closes it.
 * Returns the bytes written and the file's stats (its ETag, and its sidecar's fingerprint).
 */
export async function writeTemp(
  files: LocalFiles,
  handle: FileHandle,
  loc: Location,
  body: Body,
  options: UploadOptions,
): Promise<{ written: number; stats: BigIntStats }> {
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
    if (files.fsync) await handle.sync();
    return { written, stats: await handle.stat({ bigint: true }) };
  } finally {
    await handle.close();
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
  visibility: { key: string; value: Visibility },
  signal?: AbortSignal,
): Promise<void> {
  const mark = () =>
    writeVisibility(loc.dir, loc.name, visibility.key, visibility.value, files.fileMode);
  await files.locks.run(loc.file, async () => {
    signal?.throwIfAborted();
    // Never a moment where private content reads as public: a private marker goes in before the data,
    // a public one (or none) after it, once the old content is gone.
    if (visibility.value === 'private') await mark();
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
      await link(from, loc.file);
      await unlink(from);
    } else {
      await rename(from, loc.file);
    }
    if (visibility.value === 'public') await mark();
  });
  if (files.fsync) await syncDir(loc.dir);
}
