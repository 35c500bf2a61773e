import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { StorageAdapter } from '@monorepo/storage';
import tar from 'tar-stream';
import { listWithMetadata } from './list-with-metadata.js';
import { collect } from './parallel.js';
import type { Progress } from './progress.js';

// Kept as user xattrs in PAX headers: GNU tar knows the namespace (and restores them with --xattrs).
const PAX_TYPE = 'SCHILY.xattr.user.storage.content-type';
const PAX_CACHE = 'SCHILY.xattr.user.storage.cache-control';
const PAX_META = 'SCHILY.xattr.user.storage.metadata';

/**
 * Streams every object under `prefix` into a gzip'd tar file, with content
 * type, cache control and metadata in PAX headers. Written to a temp name and
 * renamed when complete, so a failed backup never looks like a good one.
 */
export async function backupToFile(
  storage: StorageAdapter,
  file: string,
  options: { prefix?: string; progress?: Progress } = {},
): Promise<{ objects: number; bytes: number }> {
  const items = await collect(listWithMetadata(storage, options.prefix ?? ''));
  options.progress?.start(
    items.length,
    items.reduce((sum, i) => sum + i.size, 0),
  );
  const pack = tar.pack();
  const partial = `${file}.partial`;
  const writing = pipeline(pack, createGzip(), createWriteStream(partial));
  let bytes = 0;
  try {
    for (const item of items) {
      const pax: Record<string, string> = {
        [PAX_TYPE]: item.contentType,
        [PAX_META]: JSON.stringify(item.metadata),
      };
      if (item.cacheControl) pax[PAX_CACHE] = item.cacheControl;
      const entry = pack.entry({ name: item.key, size: item.size, mtime: item.lastModified, pax });
      await pipeline(await storage.downloadStream(item.key), entry);
      bytes += item.size;
      options.progress?.advance(1, item.size);
    }
    pack.finalize();
    await writing;
    await rename(partial, file);
  } catch (error) {
    pack.destroy(error as Error);
    await writing.catch(() => {});
    await rm(partial, { force: true });
    throw error;
  } finally {
    options.progress?.stop();
  }
  return { objects: items.length, bytes };
}

/** Streams a backup made by {@link backupToFile} into `storage`, object by object. */
export async function restoreFromFile(
  storage: StorageAdapter,
  file: string,
  options: { progress?: Progress } = {},
): Promise<{ objects: number; bytes: number }> {
  const extract = tar.extract();
  let objects = 0;
  let bytes = 0;
  options.progress?.start(0, 0);
  const reading = pipeline(createReadStream(file), createGunzip(), extract);
  for await (const entry of extract) {
    const header = entry.header;
    if (header.type !== 'file') {
      entry.resume();
      continue;
    }
    const pax = (header.pax ?? {}) as Record<string, string>;
    await storage.upload(
      header.name,
      Readable.from(entry),
      pax[PAX_TYPE] ?? 'application/octet-stream',
      {
        contentLength: header.size ?? 0,
        metadata: pax[PAX_META] ? (JSON.parse(pax[PAX_META]) as Record<string, string>) : {},
        ...(pax[PAX_CACHE] ? { cacheControl: pax[PAX_CACHE] } : {}),
      },
    );
    objects += 1;
    bytes += header.size ?? 0;
    options.progress?.advance(1, header.size ?? 0);
  }
  await reading;
  options.progress?.stop();
  return { objects, bytes };
}
