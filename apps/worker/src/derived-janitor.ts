import { DERIVED_ACCESS_KEY, DERIVED_SOURCES_KEY } from '@monorepo/image-processor';
import { KEY_LAYOUT, isStorageError } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import type { RedisClient } from '@monorepo/redis-connection';

/** What one trim of `derived/` did. */
export interface DerivedTrimReport {
  /** Renders whose source was deleted or replaced (no URL reaches them any more), removed. */
  staleRemoved: number;
  /** Renders removed, least recently used first, to bring `derived/` under its size. */
  evicted: number;
  /** Bytes under `derived/` before and after. */
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * Keeps the imaging service's shared cache bounded and clean. `derived/` is owned by no team and counted in no
 * team's usage; instead it is held under `maxBytes`:
 *
 * 1. renders of a source that was deleted or replaced (its etag changed, so every URL now renders anew) are removed;
 * 2. while the rest is over `maxBytes`, the least recently used go (last use from Redis, else when written),
 *    down to 90 % of it, so trimming does not run on every pass.
 *
 * Bookkeeping of renders that no longer exist is dropped, except for what changed since the listing began.
 */
export async function trimDerived(deps: {
  storage: StorageAdapter;
  redis: RedisClient;
  maxBytes: number;
}): Promise<DerivedTrimReport> {
  const { storage, redis, maxBytes } = deps;
  const started = Date.now();
  const objects = new Map<string, { size: number; written: number }>();
  let bytesBefore = 0;
  for await (const item of storage.listAll(KEY_LAYOUT.derivedRoot)) {
    objects.set(item.key, { size: item.size, written: item.lastModified.getTime() });
    bytesBefore += item.size;
  }
  const used = new Map<string, number>();
  const flat = await redis.zrange(DERIVED_ACCESS_KEY, 0, -1, 'WITHSCORES');
  for (let i = 0; i < flat.length; i += 2) used.set(flat[i]!, Number(flat[i + 1]));
  const sources = await redis.hgetall(DERIVED_SOURCES_KEY);

  const removed: string[] = [];
  const remove = async (key: string) => {
    await storage.delete(key);
    objects.delete(key);
    removed.push(key);
  };

  // 1. Renders of sources that are gone or changed, one stat per source.
  const bySource = new Map<string, { version: string; renders: string[] }[]>();
  for (const [render, value] of Object.entries(sources)) {
    if (!objects.has(render)) continue;
    const [sourceKey = '', version = ''] = value.split('\n');
    const list = bySource.get(sourceKey) ?? [];
    list.push({ version, renders: [render] });
    bySource.set(sourceKey, list);
  }
  let staleRemoved = 0;
  for (const [sourceKey, versions] of bySource) {
    const current = await storage.stat(sourceKey).then(
      (info) => info.etag,
      (error: unknown) => {
        if (isStorageError(error, 'ENOENT') || isStorageError(error, 'EINVAL')) return undefined;
        throw error;
      },
    );
    for (const { version, renders } of versions)
      if (version !== current)
        for (const render of renders) {
          await remove(render);
          staleRemoved += 1;
        }
  }

  // 2. Least recently used first, down to 90 % of the limit.
  let bytes = [...objects.values()].reduce((sum, o) => sum + o.size, 0);
  let evicted = 0;
  if (bytes > maxBytes) {
    const target = Math.floor(maxBytes * 0.9);
    const order = [...objects.entries()].sort(
      ([a, x], [b, y]) => (used.get(a) ?? x.written) - (used.get(b) ?? y.written),
    );
    for (const [key, object] of order) {
      if (bytes <= target) break;
      // A render used since this pass began stays.
      if ((used.get(key) ?? object.written) >= started) continue;
      await remove(key);
      bytes -= object.size;
      evicted += 1;
    }
  }

  // Bookkeeping: what was removed, and what names no object (unless it was touched after the listing began).
  const gone = new Set(removed);
  for (const [key, at] of used) if (!objects.has(key) && at < started) gone.add(key);
  for (const key of Object.keys(sources)) if (!objects.has(key) && !used.has(key)) gone.add(key);
  const list = [...gone];
  for (let i = 0; i < list.length; i += 500) {
    const chunk = list.slice(i, i + 500);
    // Two commands, not one MULTI: on a Redis Cluster the two keys live in different slots.
    await redis.zrem(DERIVED_ACCESS_KEY, ...chunk);
    await redis.hdel(DERIVED_SOURCES_KEY, ...chunk);
  }
  return { staleRemoved, evicted, bytesBefore, bytesAfter: bytes };
}
