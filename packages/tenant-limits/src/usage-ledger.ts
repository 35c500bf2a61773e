import { randomUUID } from 'node:crypto';
import { scanKeys } from '@monorepo/redis-connection';
import type { RedisClient } from '@monorepo/redis-connection';
import type { LedgerAccess } from './ledger-access.js';
import { migrateLegacyUsage } from './legacy-keys.js';
import { LimitExceededError } from './limit-exceeded-error.js';
import type { Quota } from './quota.js';
import { Reconciliation } from './reconciliation.js';
import { TenantScripts } from './tenant-scripts.js';
import { tenantKeys, userOfUsageKey } from './tenant-keys.js';
import { UploadReservation } from './upload-reservation.js';

/** What one user has stored, holds and is storing right now. */
export interface Usage {
  /** Bytes of the objects counted (each recorded with its size). */
  bytes: number;
  /** Objects counted. */
  objects: number;
  /** Bytes held by uploads in flight and by direct uploads announced and not yet settled. */
  reservedBytes: number;
  /** Objects held the same way (one per upload or intent). */
  reservedObjects: number;
  /** Upload slots in use (uploads in flight through the API, intents' bodies being sent). */
  uploads: number;
  /** Direct uploads announced and not yet completed or expired. */
  openIntents: number;
}

const UNLIMITED: Quota = { bytes: Number.MAX_SAFE_INTEGER, objects: Number.MAX_SAFE_INTEGER };

/** Options for {@link UsageLedger}. */
export interface UsageLedgerOptions {
  /** Redis key prefix (default `limits`). */
  prefix?: string;
  /** The quota of a user (default and overrides: see `parseQuotas`); default: unlimited (reconciling only). */
  quotaFor?: (user: string) => Quota;
  /** Concurrent uploads per user (default 4). */
  maxConcurrentUploads?: number;
  /** How long an upload may hold its slot and reservation (default 1 h): a crashed process's lapse then. */
  leaseMs?: number;
  /** The time in ms (default `Date.now`); tests move it. */
  clock?: () => number;
}

/**
 * Per-user storage usage in Redis, shared by every API and worker process. It records the size of each object it
 * counts, so a delete subtracts exactly what was counted for that key, once (a key never counted subtracts
 * nothing). An upload reserves its bytes and one object before the first byte is stored, atomically with the
 * check against the quota (counted + reserved) and against the upload slots; direct uploads reserve the same way
 * (`UploadIntents`). Every change is one Lua script on the user's keys, which share one hash slot.
 * Reconciliation from a listing works while uploads are in flight (see {@link beginReconcile}).
 */
export class UsageLedger implements LedgerAccess {
  /** Redis key prefix of every tenant key. */
  readonly prefix: string;
  /** Concurrent uploads per user. */
  readonly maxConcurrentUploads: number;
  /** How long an upload slot and its reservation may be held. */
  readonly leaseMs: number;
  /** The time in ms. */
  readonly clock: () => number;
  /** @internal The tenant scripts on this ledger's client. */
  readonly scripts: TenantScripts;
  /** @internal */
  readonly redis: RedisClient;
  readonly #quotaFor: (user: string) => Quota;

  constructor(redis: RedisClient, options: UsageLedgerOptions = {}) {
    this.redis = redis;
    this.prefix = options.prefix ?? 'limits';
    this.#quotaFor = options.quotaFor ?? (() => UNLIMITED);
    this.maxConcurrentUploads = options.maxConcurrentUploads ?? 4;
    this.leaseMs = options.leaseMs ?? 60 * 60 * 1000;
    this.clock = options.clock ?? Date.now;
    this.scripts = new TenantScripts(redis, this.prefix);
  }

  /** The quota that applies to `user`. */
  quotaFor(user: string): Quota {
    return this.#quotaFor(user);
  }

  /**
   * Starts an upload of `bytes` (its declared length; for an unknown length, the first block): reserves them
   * and one object, and takes one of the user's upload slots.
   *
   * @throws {LimitExceededError} over the quota (nothing was reserved) or too many uploads in flight.
   */
  async begin(user: string, bytes: number): Promise<UploadReservation> {
    const id = `u:${randomUUID()}`;
    const lapsesAt = this.clock() + this.leaseMs;
    await this.reserve(user, id, bytes, 1, this.maxConcurrentUploads, lapsesAt);
    return new UploadReservation(this, user, id, bytes, lapsesAt);
  }

  /** Current usage of `user` (lapsed reservations released first). */
  async usage(user: string): Promise<Usage> {
    const [bytes, objects, reservedBytes, reservedObjects, uploads, openIntents] =
      (await this.scripts.run('usageOf', user, undefined, this.clock())) as number[];
    return { bytes, objects, reservedBytes, reservedObjects, uploads, openIntents } as Usage;
  }

  /** The size counted for `key` of `user`, if it is counted. */
  async sizeOf(user: string, key: string): Promise<number | undefined> {
    const size = await this.redis.hget(tenantKeys(this.prefix, user).sizes, key);
    return size === null ? undefined : Number(size);
  }

  /** Every user with a ledger. */
  async users(): Promise<string[]> {
    const found = new Set<string>();
    // On a Cluster, over every master.
    for (const key of await scanKeys(this.redis, `${this.prefix}:{*}:usage`)) {
      const user = userOfUsageKey(this.prefix, key);
      if (user) found.add(user);
    }
    return [...found];
  }

  /**
   * Records that `key` of `user` was deleted: subtracts exactly the size counted for it, once, in one step.
   * Returns that size, or `undefined` when the key was not counted (then nothing changes).
   */
  async remove(user: string, key: string): Promise<number | undefined> {
    const size = Number(await this.scripts.run('uncount', user, undefined, key));
    return size < 0 ? undefined : size;
  }

  /**
   * Starts rebuilding every known user's count from a listing of storage, while uploads, completions and deletes
   * go on: a key changed after this call keeps the ledger's value, every other key the listing's. Feed it the
   * listing with `add`, then `finish`.
   */
  beginReconcile(): Promise<Reconciliation> {
    return Reconciliation.begin(this);
  }

  /**
   * Carries usage counters of the pre-hash-tag layout (`<prefix>:usage:<user>`) over to this one, once, and drops
   * its upload leases; sizes per key are then rebuilt by the next reconciliation. Idempotent.
   *
   * @returns how many users' counters were carried over.
   */
  migrateLegacy(): Promise<number> {
    return migrateLegacyUsage(this);
  }

  /** @internal Reserves `bytes` and `objects` under `id` (a new slot unless `maxSlots` is 0: growing). */
  async reserve(
    user: string,
    id: string,
    bytes: number,
    objects: number,
    maxSlots: number,
    lapsesAt: number,
  ): Promise<void> {
    const quota = this.#quotaFor(user);
    const [status, usedBytes, usedObjects] = (await this.scripts.run(
      'reserve',
      user,
      undefined,
      this.clock(),
      id,
      bytes,
      objects,
      quota.bytes,
      quota.objects,
      maxSlots,
      lapsesAt,
    )) as [number, number, number];
    if (status === -1)
      throw new LimitExceededError(
        'E_TOO_MANY_UPLOADS',
        `At most ${this.maxConcurrentUploads} uploads at a time per key; wait for one to finish`,
      );
    if (status === -2) throw new Error(`upload reservation ${id} of ${user} lapsed`);
    if (status === 0) throw quotaError(quota, usedBytes, usedObjects);
  }

  /** @internal Releases reservation `id` and counts `key` with `size` bytes (`key` empty: counts nothing). */
  async settle(user: string, id: string, key: string, size: number): Promise<void> {
    await this.scripts.run('settle', user, undefined, id, key, size);
  }
}

/** The refusal of something that does not fit `quota`, with what is in use (counted plus held). */
export function quotaError(quota: Quota, usedBytes: number, usedObjects: number) {
  return new LimitExceededError(
    'E_QUOTA_EXCEEDED',
    `Storage quota exceeded: ${usedBytes} of ${quota.bytes} bytes and ${usedObjects} of ${quota.objects} objects in use (stored or reserved)`,
  );
}
