import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
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
const PAX_VISIBILITY = 'SCHILY.xattr.user.storage.visibility';
// The tar header's mtime holds whole seconds; this keeps the milliseconds.
const PAX_MTIME_MS = 'SCHILY.xattr.user.storage.mtime-ms';
// On the first entry: how many objects and bytes the backup holds, so a restore can show real totals.
const PAX_TOTAL_OBJECTS = 'SCHILY.xattr.user.storage.backup-objects';
const PAX_TOTAL_BYTES = 'SCHILY.xattr.user.storage.backup-bytes';

/** Objects and bytes in a backup without the totals header (an older one): one pass over its headers. */
async function countEntries(file: string): Promise<{ objects: number; bytes: number }> {
  const extract = tar.extract();
  const reading = pipeline(createReadStream(file), createGunzip(), extract);
  let objects = 0;
  let bytes = 0;
  for await (const entry of extract) {
    if (entry.header.type === 'file') {
      objects += 1;
      bytes += entry.header.size ?? 0;
    }
    entry.resume();
  }
  await reading;
  return { objects, bytes };
}

/**
 * Streams every object under `prefix` into a gzip'd tar file, with content
 * type, cache control, metadata, visibility and modification time (to the millisecond) in PAX headers. Written to a temp name and
 * renamed when complete, so a failed backup never looks like a good one.
 */
export async function backupToFile(
  storage: StorageAdapter,
  file: string,
  options: { prefix?: string; progress?: Progress } = {},
): Promise<{ objects: number; bytes: number }> {
  const items = await collect(listWithMetadata(storage, options.prefix ?? ''));
  const totalBytes = items.reduce((sum, i) => sum + i.size, 0);
  options.progress?.start(items.length, totalBytes);
  const pack = tar.pack();
  const partial = `${file}.partial`;
  await mkdir(path.dirname(file), { recursive: true });
  const writing = pipeline(pack, createGzip(), createWriteStream(partial));
  let bytes = 0;
  try {
    for (const item of items) {
      const pax: Record<string, string> = {
        [PAX_TYPE]: item.contentType,
        [PAX_META]: JSON.stringify(item.metadata),
      };
      if (item.cacheControl) pax[PAX_CACHE] = item.cacheControl;
      if (item.visibility) pax[PAX_VISIBILITY] = item.visibility;
      pax[PAX_MTIME_MS] = String(item.lastModified.getTime());
      if (bytes === 0 && item === items[0]) {
        pax[PAX_TOTAL_OBJECTS] = String(items.length);
        pax[PAX_TOTAL_BYTES] = String(totalBytes);
      }
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

/**
 * Streams a backup made by {@link backupToFile} into `storage`, object by object, each with the content
 * type, metadata, visibility and modification time it had (where the backend keeps one).
 */
export async function restoreFromFile(
  storage: StorageAdapter,
  file: string,
  options: { progress?: Progress } = {},
): Promise<{ objects: number; bytes: number }> {
  const extract = tar.extract();
  let objects = 0;
  let bytes = 0;
  let started = false;
  const reading = pipeline(createReadStream(file), createGunzip(), extract);
  for await (const entry of extract) {
    const header = entry.header;
    if (header.type !== 'file') {
      entry.resume();
      continue;
    }
    const pax = (header.pax ?? {}) as Record<string, string>;
    if (!started && options.progress) {
      started = true;
      const totals =
        pax[PAX_TOTAL_OBJECTS] !== undefined
          ? { objects: Number(pax[PAX_TOTAL_OBJECTS]), bytes: Number(pax[PAX_TOTAL_BYTES] ?? 0) }
          : await countEntries(file);
      options.progress.start(totals.objects, totals.bytes);
    }
    const visibility = pax[PAX_VISIBILITY];
    const mtimeMs = Number(pax[PAX_MTIME_MS]);
    const lastModified =
      Number.isFinite(mtimeMs) && pax[PAX_MTIME_MS] ? new Date(mtimeMs) : header.mtime;
    await storage.upload(
      header.name,
      Readable.from(entry),
      pax[PAX_TYPE] ?? 'application/octet-stream',
      {
        contentLength: header.size ?? 0,
        metadata: pax[PAX_META] ? (JSON.parse(pax[PAX_META]) as Record<string, string>) : {},
        ...(pax[PAX_CACHE] ? { cacheControl: pax[PAX_CACHE] } : {}),
        ...(visibility === 'public' || visibility === 'private' ? { visibility } : {}),
        ...(lastModified ? { lastModified } : {}),
      },
    );
    objects += 1;
    bytes += header.size ?? 0;
    options.progress?.advance(1, header.size ?? 0);
  }
  await reading;
  if (!started) options.progress?.start(0, 0);
  options.progress?.stop();
  return { objects, bytes };
}
