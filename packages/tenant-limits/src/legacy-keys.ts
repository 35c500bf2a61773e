import { scanKeys } from '@monorepo/redis-connection';
import type { RedisClient } from '@monorepo/redis-connection';
import type { LedgerAccess } from './ledger-access.js';

// The key layout before per-user hash tags (tenant-limits 0.1): `<prefix>:usage:<user>` (bytes, objects),
// `<prefix>:uploads:<user>` (leases), `<prefix>:intent:<id>` (JSON), `<prefix>:intent-token:<id>`,
// `<prefix>:intents:expiry` (all intents), `<prefix>:intents:open:<user>`.

/**
 * Carries each old usage counter over to the user's new ledger (added once, marked `migrated`), then deletes it,
 * and drops the old upload leases (they only ever lapsed). Per-key sizes did not exist: the next reconciliation
 * rebuilds them from a listing; until then a delete of an older object subtracts nothing (usage stays high, never
 * low).
 */
export async function migrateLegacyUsage(ledger: LedgerAccess): Promise<number> {
  const { redis, prefix } = ledger;
  let migrated = 0;
  const head = `${prefix}:usage:`;
  for (const key of await scanKeys(redis, `${head}*`)) {
    const user = key.slice(head.length);
    const old = await redis.hgetall(key);
    if (/^[A-Za-z0-9_-]{1,128}$/.test(user)) {
      const carried = await ledger.scripts.run(
        'migrateUsage',
        user,
        undefined,
        Number(old.bytes ?? 0),
        Number(old.objects ?? 0),
      );
      if (carried === 1) migrated += 1;
    }
    await redis.del(key);
  }
  for (const key of await scanKeys(redis, `${prefix}:uploads:*`)) await redis.del(key);
  return migrated;
}

/**
 * Takes every direct upload of the old layout off Redis and returns the object keys it wrote: the old API put an
 * intent's bytes at its final key, and only completion removed the record, so every record left is an upload
 * never completed, which the new API cannot complete. The caller deletes those objects.
 */
export async function drainLegacyIntents(redis: RedisClient, prefix: string): Promise<string[]> {
  const index = `${prefix}:intents:expiry`;
  const keys: string[] = [];
  for (const id of await redis.zrange(index, 0, -1)) {
    const raw = await redis.get(`${prefix}:intent:${id}`);
    if (raw) {
      const key = (JSON.parse(raw) as { key?: unknown }).key;
      if (typeof key === 'string') keys.push(key);
    }
    await redis.del(`${prefix}:intent:${id}`);
    await redis.del(`${prefix}:intent-token:${id}`);
    await redis.zrem(index, id);
  }
  for (const key of await scanKeys(redis, `${prefix}:intents:open:*`)) await redis.del(key);
  return keys;
}
