import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Quota } from './quota.js';

/** What one user has stored (and is storing right now). */
export interface Usage {
  bytes: number;
  objects: number;
  /** Uploads in flight (unexpired leases). */
  uploads: number;
}

/** Why an upload was refused before (or while) storing it. */
export class LimitExceededError extends Error {
  /** `E_QUOTA_EXCEEDED`: bytes or objects; `E_TOO_MANY_UPLOADS`: concurrent uploads of this user. */
  readonly code: 'E_QUOTA_EXCEEDED' | 'E_TOO_MANY_UPLOADS';

  constructor(code: LimitExceededError['code'], message: string) {
    super(message);
    this.name = 'LimitExceededError';
    this.code = code;
  }
}

// KEYS: usage hash, leases zset. ARGV: bytes, objects, maxBytes, maxObjects, maxUploads (0 = no new lease),
// lease id, lease expiry (ms), now (ms). Returns { status, bytes, objects } with status 1 ok, 0 quota, -1 uploads.
const RESERVE = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[8])
if tonumber(ARGV[5]) > 0 and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  return {-1, 0, 0}
end
local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
local objects = tonumber(redis.call('HGET', KEYS[1], 'objects') or '0')
local addBytes = tonumber(ARGV[1])
local addObjects = tonumber(ARGV[2])
if bytes + addBytes > tonumber(ARGV[3]) or objects + addObjects > tonumber(ARGV[4]) then
  return {0, bytes, objects}
end
redis.call('HINCRBY', KEYS[1], 'bytes', addBytes)
redis.call('HINCRBY', KEYS[1], 'objects', addObjects)
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[6])
return {1, bytes + addBytes, objects + addObjects}
`;

// KEYS: usage hash, leases zset. ARGV: bytes delta, objects delta, lease id ('' for none).
const SETTLE = `
if ARGV[3] ~= '' then redis.call('ZREM', KEYS[2], ARGV[3]) end
local bytes = redis.call('HINCRBY', KEYS[1], 'bytes', ARGV[1])
local objects = redis.call('HINCRBY', KEYS[1], 'objects', ARGV[2])
if bytes < 0 then redis.call('HSET', KEYS[1], 'bytes', 0) end
if objects < 0 then redis.call('HSET', KEYS[1], 'objects', 0) end
return 1
`;

// KEYS: usage hash, leases zset. ARGV: bytes, objects, now. Sets the usage only while no upload is in flight.
const RECONCILE = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'bytes', ARGV[1], 'objects', ARGV[2])
return 1
`;

const UNLIMITED: Quota = { bytes: Number.MAX_SAFE_INTEGER, objects: Number.MAX_SAFE_INTEGER };

/** Options for {@link UsageLedger}. */
export interface UsageLedgerOptions {
  /** Redis key prefix (default `limits`). */
  prefix?: string;
  /** The quota of a user (default and overrides: see `parseQuotas`); default: unlimited (reconciling only). */
  quotaFor?: (user: string) => Quota;
  /** Concurrent uploads per user (default 4). */
  maxConcurrentUploads?: number;
  /** How long an upload may hold its lease (default 1 h): a crashed process's lease expires after this. */
  leaseMs?: number;
}

/**
 * Per-user storage usage in Redis, shared by every API process: an upload reserves its bytes (and one object)
 * before the first byte is stored, atomically with the check against the user's quota and against the number
 * of uploads in flight, so two processes can never both squeeze under a limit. Usage is tracked here, not
 * listed from storage per request; the janitor reconciles it from a listing while no upload is in flight.
 */
export class UsageLedger {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #quotaFor: (user: string) => Quota;
  readonly #maxUploads: number;
  readonly #leaseMs: number;

  constructor(redis: Redis, options: UsageLedgerOptions) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'limits';
    this.#quotaFor = options.quotaFor ?? (() => UNLIMITED);
    this.#maxUploads = options.maxConcurrentUploads ?? 4;
    this.#leaseMs = options.leaseMs ?? 60 * 60 * 1000;
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
    const id = randomUUID();
    await this.#reserve(user, bytes, 1, id, this.#maxUploads);
    return new UploadReservation(this, user, id, bytes);
  }

  /** Current usage of `user`. */
  async usage(user: string): Promise<Usage> {
    const [[, hash], [, uploads]] = (await this.#redis
      .multi()
      .hgetall(this.#usageKey(user))
      .zcount(this.#leaseKey(user), Date.now(), '+inf')
      .exec()) as [[unknown, Record<string, string>], [unknown, number]];
    return { bytes: Number(hash.bytes ?? 0), objects: Number(hash.objects ?? 0), uploads };
  }

  /** Every user with recorded usage. */
  async users(): Promise<string[]> {
    const found = new Set<string>();
    const head = this.#usageKey('');
    for await (const keys of this.#redis.scanStream({ match: `${head}*`, count: 500 }))
      for (const key of keys as string[]) found.add(key.slice(head.length));
    return [...found];
  }

  /** Records objects removed from storage (a delete). */
  async removed(user: string, bytes: number, objects = 1): Promise<void> {
    await this.#settle(user, -bytes, -objects, '');
  }

  /**
   * Sets the usage of `user` to what a listing of storage found, unless an upload is in flight (then the
   * next run does it). Returns whether it was set.
   */
  async reconcile(user: string, actual: { bytes: number; objects: number }): Promise<boolean> {
    const done = await this.#redis.eval(
      RECONCILE,
      2,
      this.#usageKey(user),
      this.#leaseKey(user),
      actual.bytes,
      actual.objects,
      Date.now(),
    );
    return done === 1;
  }

  /** @internal Reserves more for a growing upload (no new slot). */
  async grow(user: string, id: string, bytes: number): Promise<void> {
    await this.#reserve(user, bytes, 0, id, 0);
  }

  /** @internal Settles a reservation: applies the deltas and releases the upload slot. */
  async settle(user: string, id: string, bytes: number, objects: number): Promise<void> {
    await this.#settle(user, bytes, objects, id);
  }

  async #reserve(user: string, bytes: number, objects: number, id: string, maxUploads: number) {
    const quota = this.#quotaFor(user);
    const now = Date.now();
    const [status, usedBytes, usedObjects] = (await this.#redis.eval(
      RESERVE,
      2,
      this.#usageKey(user),
      this.#leaseKey(user),
      bytes,
      objects,
      quota.bytes,
      quota.objects,
      maxUploads,
      id,
      now + this.#leaseMs,
      now,
    )) as [number, number, number];
    if (status === -1)
      throw new LimitExceededError(
        'E_TOO_MANY_UPLOADS',
        `At most ${this.#maxUploads} uploads at a time per key; wait for one to finish`,
      );
    if (status === 0)
      throw new LimitExceededError(
        'E_QUOTA_EXCEEDED',
        `Storage quota exceeded: ${usedBytes} of ${quota.bytes} bytes and ${usedObjects} of ${quota.objects} objects used`,
      );
  }

  async #settle(user: string, bytes: number, objects: number, id: string): Promise<void> {
    await this.#redis.eval(
      SETTLE,
      2,
      this.#usageKey(user),
      this.#leaseKey(user),
      bytes,
      objects,
      id,
    );
  }

  #usageKey(user: string): string {
    return `${this.#prefix}:usage:${user}`;
  }

  #leaseKey(user: string): string {
    return `${this.#prefix}:uploads:${user}`;
  }
}

/** One upload's hold on its user's quota and upload slots. Settle it exactly once: `commit` or `cancel`. */
export class UploadReservation {
  readonly #ledger: UsageLedger;
  readonly #user: string;
  readonly #id: string;
  #reserved: number;
  #settled = false;

  constructor(ledger: UsageLedger, user: string, id: string, reserved: number) {
    this.#ledger = ledger;
    this.#user = user;
    this.#id = id;
    this.#reserved = reserved;
  }

  /** Bytes reserved so far. */
  get reserved(): number {
    return this.#reserved;
  }

  /**
   * Makes sure at least `total` bytes are reserved (an upload of unknown length growing), reserving in steps of
   * `step` bytes to keep Redis round trips few.
   *
   * @throws {LimitExceededError} `E_QUOTA_EXCEEDED` once the quota would be passed.
   */
  async ensure(total: number, step: number): Promise<void> {
    if (total <= this.#reserved) return;
    const more = Math.max(total - this.#reserved, step);
    try {
      await this.#ledger.grow(this.#user, this.#id, more);
    } catch (error) {
      // The last step may not fit while the bytes actually needed do.
      if (more === total - this.#reserved) throw error;
      await this.#ledger.grow(this.#user, this.#id, total - this.#reserved);
      this.#reserved = total;
      return;
    }
    this.#reserved += more;
  }

  /** The upload is stored with `bytes` bytes: keep exactly that much and one object. */
  async commit(bytes: number): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    await this.#ledger.settle(this.#user, this.#id, bytes - this.#reserved, 0);
  }

  /** The upload failed or was refused: give everything back. */
  async cancel(): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    await this.#ledger.settle(this.#user, this.#id, -this.#reserved, -1);
  }
}
