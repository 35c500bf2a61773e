import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { ObjectInfo, StorageAdapter } from '@monorepo/storage';
import { listWithMetadata } from './list-with-metadata.js';
import { collect, forEachLimit } from './parallel.js';
import type { Progress } from './progress.js';

/** Metadata entry recording which source version a copy was made from. */
export const SYNC_ETAG = 'sync-etag';

export interface SyncOptions {
  prefix?: string;
  /** Delete target objects under the prefix that the source does not have. */
  delete?: boolean;
  /** Report what would happen; change nothing. */
  dryRun?: boolean;
  /** Objects copied at once (default 8). */
  concurrency?: number;
  progress?: Progress;
}

export interface SyncSummary {
  scanned: number;
  copied: number;
  copiedBytes: number;
  skipped: number;
  deleted: number;
  failed: Array<{ key: string; error: string }>;
  dryRun: boolean;
}

const bare = (etag: string) => etag.replace(/^W\//, '').replace(/"/g, '');

/** True when `target` is a copy of this exact version of `source`. */
export function isSameObject(source: ObjectInfo, target: ObjectInfo | undefined): boolean {
  if (!target || target.size !== source.size) return false;
  return (
    target.metadata[SYNC_ETAG] === bare(source.etag) ||
    (bare(target.etag) === bare(source.etag) && /^[0-9a-f]{32}$/.test(bare(source.etag)))
  );
}

async function copyOne(
  source: StorageAdapter,
  target: StorageAdapter,
  item: ObjectInfo,
): Promise<number> {
  const md5 = createHash('md5');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const input = await source.downloadStream(item.key);
  input.once('error', (error) => meter.destroy(error));
  input.pipe(meter);
  const { [SYNC_ETAG]: _previous, ...metadata } = item.metadata;
  await target.upload(item.key, meter, item.contentType, {
    metadata: { ...metadata, [SYNC_ETAG]: bare(item.etag) },
    contentLength: item.size,
    ...(item.cacheControl ? { cacheControl: item.cacheControl } : {}),
  });
  // Verify what landed: its size, and its MD5 wherever the store reports one as the ETag.
  const written = await target.stat(item.key);
  const etag = bare(written.etag);
  if (written.size !== item.size || bytes !== item.size)
    throw new Error(`size mismatch after copy (${written.size} != ${item.size})`);
  if (/^[0-9a-f]{32}$/.test(etag) && etag !== md5.digest('hex'))
    throw new Error('checksum mismatch after copy');
  return bytes;
}

/**
 * Makes `target` hold every object of `source` under `prefix`, streaming each
 * with its content type, cache control and metadata. Objects already copied
 * from the same source version are skipped, so an interrupted sync resumes by
 * running it again; every copy is atomic on the target and verified.
 */
export async function syncStorage(
  source: StorageAdapter,
  target: StorageAdapter,
  options: SyncOptions = {},
): Promise<SyncSummary> {
  const prefix = options.prefix ?? '';
  const dryRun = options.dryRun ?? false;
  const progress = options.progress;
  const summary: SyncSummary = {
    scanned: 0,
    copied: 0,
    copiedBytes: 0,
    skipped: 0,
    deleted: 0,
    failed: [],
    dryRun,
  };
  const sources = await collect(listWithMetadata(source, prefix));
  const targets = new Map(
    (await collect(listWithMetadata(target, prefix))).map((item) => [item.key, item]),
  );
  summary.scanned = sources.length;
  const pending = sources.filter((item) => !isSameObject(item, targets.get(item.key)));
  summary.skipped = sources.length - pending.length;
  progress?.start(
    pending.length,
    pending.reduce((sum, item) => sum + item.size, 0),
  );
  await forEachLimit(pending, options.concurrency ?? 8, async (item) => {
    if (dryRun) {
      progress?.log(`would copy ${item.key} (${item.size} bytes)`);
    } else {
      try {
        summary.copiedBytes += await copyOne(source, target, item);
      } catch (error) {
        summary.failed.push({ key: item.key, error: (error as Error).message });
        progress?.advance(1, item.size);
        return;
      }
    }
    summary.copied += 1;
    progress?.advance(1, item.size);
  });
  if (options.delete) {
    const keep = new Set(sources.map((item) => item.key));
    for (const key of targets.keys()) {
      if (keep.has(key)) continue;
      if (dryRun) progress?.log(`would delete ${key}`);
      else {
        try {
          await target.delete(key);
        } catch (error) {
          summary.failed.push({ key, error: (error as Error).message });
          continue;
        }
      }
      summary.deleted += 1;
    }
  }
  progress?.stop();
  return summary;
}
