import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { ObjectInfo, StorageAdapter } from '@monorepo/storage';
import { listWithMetadata } from './list-with-metadata.js';
import { ByteBudget, collect, forEachLimit } from './parallel.js';
import type { Progress } from './progress.js';

/** Metadata entry recording which source version a copy was made from. */
export const SYNC_ETAG = 'sync-etag';

export interface SyncOptions {
  prefix?: string;
  /** Delete target objects under the prefix that the source does not have. */
  delete?: boolean;
  /** Report what would happen; change nothing. */
  dryRun?: boolean;
  /** Objects up to 16 MiB copied at once (default 32); larger ones stream at most 4 at a time. */
  concurrency?: number;
  progress?: Progress;
}

export interface SyncSummary {
  scanned: number;
  copied: number;
  /** Bytes copied (in a dry run: that would be copied). */
  copiedBytes: number;
  skipped: number;
  deleted: number;
  failed: Array<{ key: string; error: string }>;
  dryRun: boolean;
}

const bare = (etag: string) => etag.replace(/^W\//, '').replace(/"/g, '');
const isMd5 = (etag: string) => /^[0-9a-f]{32}$/.test(bare(etag));

/** True when `target` is a copy of this exact version of `source`. */
export function isSameObject(source: ObjectInfo, target: ObjectInfo | undefined): boolean {
  if (!target || target.size !== source.size) return false;
  return (
    target.metadata[SYNC_ETAG] === bare(source.etag) ||
    (bare(target.etag) === bare(source.etag) && isMd5(source.etag))
  );
}

/** A pass-through stream that counts and hashes (MD5) what flows through it. */
function md5Meter(): { meter: Transform; digest: () => string; bytes: () => number } {
  const md5 = createHash('md5');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { meter, digest: () => md5.digest('hex'), bytes: () => bytes };
}

async function md5Of(storage: StorageAdapter, key: string): Promise<string> {
  const md5 = createHash('md5');
  for await (const chunk of (await storage.downloadStream(key)) as AsyncIterable<Buffer>)
    md5.update(chunk);
  return md5.digest('hex');
}

/**
 * Whether `target` already holds this version of `item`, as cheaply as the stores allow: equal MD5 ETags
 * (S3 → S3) need no request; an MD5 ETag on the target is compared with the source's content hash (local →
 * S3: a local read, no request); anything else reads the target's `sync-etag` metadata (one `stat`).
 */
async function alreadyThere(
  source: StorageAdapter,
  target: StorageAdapter,
  item: ObjectInfo,
  listed: ObjectInfo | undefined,
): Promise<boolean> {
  if (!listed || listed.size !== item.size) return false;
  if (isMd5(listed.etag)) {
    const sourceMd5 = isMd5(item.etag) ? bare(item.etag) : await md5Of(source, item.key);
    return sourceMd5 === bare(listed.etag);
  }
  return isSameObject(item, await target.stat(item.key).catch(() => undefined));
}

/**
 * Objects up to this size are copied as one buffer: read whole, hashed once and sent with that MD5 for the
 * target to check (no stream machinery, no second hash, no listing afterwards). At most {@link BUFFER_BUDGET}
 * bytes of them are held at once. Larger objects stream, {@link LARGE_IN_FLIGHT} at a time (each may hold a
 * store's part buffers).
 */
const SMALL_OBJECT = 16 * 1024 * 1024;
const BUFFER_BUDGET = 64 * 1024 * 1024;
const LARGE_IN_FLIGHT = 4;

/** What one copy sent: size and MD5, and whether the target already checked the body against that MD5. */
interface Sent {
  bytes: number;
  md5: string;
  checked: boolean;
}

/** Copies one object with its attributes; returns what was sent, for verification. */
async function copyOne(
  source: StorageAdapter,
  target: StorageAdapter,
  item: ObjectInfo,
  budget: ByteBudget | undefined,
): Promise<Sent> {
  const { [SYNC_ETAG]: _previous, ...metadata } = item.metadata;
  const options = {
    metadata: { ...metadata, [SYNC_ETAG]: bare(item.etag) },
    contentLength: item.size,
    lastModified: item.lastModified,
    ...(item.visibility ? { visibility: item.visibility } : {}),
    ...(item.cacheControl ? { cacheControl: item.cacheControl } : {}),
  };
  if (budget) {
    await budget.take(item.size);
    try {
      const body = await source.download(item.key);
      const md5 = createHash('md5').update(body).digest('hex');
      await target.upload(item.key, body, item.contentType, {
        ...options,
        contentLength: body.length,
        contentMd5: md5,
      });
      return { bytes: body.length, md5, checked: true };
    } finally {
      budget.give(item.size);
    }
  }
  const { meter, digest, bytes } = md5Meter();
  const input = await source.downloadStream(item.key);
  input.once('error', (error) => meter.destroy(error));
  input.pipe(meter);
  await target.upload(item.key, meter, item.contentType, options);
  return { bytes: bytes(), md5: digest(), checked: false };
}

/**
 * Checks what landed with one listing of the target (not a request per object): every copy must have the
 * source's size, and its MD5 wherever the store reports one as the ETag. Copies the store checked itself
 * against their MD5 as it took them (`contentMd5`) need no second look; with none left, nothing is listed.
 * Returns the keys that do not match.
 */
async function verifyCopies(
  target: StorageAdapter,
  prefix: string,
  sent: Map<string, Sent>,
): Promise<Array<{ key: string; error: string }>> {
  const unchecked = new Map([...sent].filter(([, copy]) => !copy.checked));
  if (unchecked.size === 0) return [];
  const landed = new Map<string, ObjectInfo>();
  for await (const info of target.listAll(prefix))
    if (unchecked.has(info.key)) landed.set(info.key, info);
  const failed: Array<{ key: string; error: string }> = [];
  for (const [key, { bytes, md5 }] of unchecked) {
    const info = landed.get(key);
    if (!info || info.size !== bytes)
      failed.push({
        key,
        error: `size mismatch after copy (${info?.size ?? 'missing'} != ${bytes})`,
      });
    else if (isMd5(info.etag) && bare(info.etag) !== md5)
      failed.push({ key, error: 'checksum mismatch after copy' });
  }
  return failed;
}

/**
 * Makes `target` hold every object of `source` under `prefix`, streaming each
 * with its content type, cache control, metadata, visibility and modification time. Objects already copied
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
  const concurrency = options.concurrency ?? 32;
  // The source is probed first: a missing source must fail before anything (a local target root) is
  // created. Then both sides are listed at once.
  await source.list(prefix, { limit: 1 });
  const [sources, listed] = await Promise.all([
    collect(listWithMetadata(source, prefix)),
    collect(target.listAll(prefix)),
  ]);
  const targets = new Map(listed.map((item) => [item.key, item]));
  summary.scanned = sources.length;
  const present = new Set<ObjectInfo>();
  await forEachLimit(sources, concurrency, async (item) => {
    if (await alreadyThere(source, target, item, targets.get(item.key))) present.add(item);
  });
  // An identical copy may still differ in who can read it (the source's visibility changed since): set it.
  await forEachLimit(present, concurrency, async (item) => {
    if (!item.visibility) return;
    const copy = await target.stat(item.key).catch(() => undefined);
    if (copy && copy.visibility !== item.visibility) {
      if (dryRun) progress?.log(`would make ${item.key} ${item.visibility}`);
      else await target.setVisibility(item.key, item.visibility);
    }
  });
  const pending = sources.filter((item) => !present.has(item));
  summary.skipped = sources.length - pending.length;
  progress?.start(
    pending.length,
    pending.reduce((sum, item) => sum + item.size, 0),
  );
  const sent = new Map<string, Sent>();
  const budget = new ByteBudget(BUFFER_BUDGET);
  const copy = async (item: ObjectInfo) => {
    if (dryRun) {
      progress?.log(`would copy ${item.key} (${item.size} bytes)`);
      summary.copiedBytes += item.size;
    } else {
      try {
        const done = await copyOne(
          source,
          target,
          item,
          item.size <= SMALL_OBJECT ? budget : undefined,
        );
        if (done.bytes !== item.size)
          throw new Error(`size mismatch after copy (${done.bytes} != ${item.size})`);
        sent.set(item.key, done);
      } catch (error) {
        summary.failed.push({ key: item.key, error: (error as Error).message });
        progress?.advance(1, item.size);
        return;
      }
    }
    summary.copied += 1;
    progress?.advance(1, item.size);
  };
  await Promise.all([
    forEachLimit(
      pending.filter((item) => item.size <= SMALL_OBJECT),
      concurrency,
      copy,
    ),
    forEachLimit(
      pending.filter((item) => item.size > SMALL_OBJECT),
      Math.min(LARGE_IN_FLIGHT, concurrency),
      copy,
    ),
  ]);
  if (sent.size > 0) {
    const bad = await verifyCopies(target, prefix, sent);
    summary.failed.push(...bad);
    summary.copied -= bad.length;
    for (const [key, { bytes }] of sent)
      if (!bad.some((b) => b.key === key)) summary.copiedBytes += bytes;
  }
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
