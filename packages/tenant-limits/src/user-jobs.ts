import { scanKeys } from '@monorepo/redis-connection';
import type { RedisClient } from '@monorepo/redis-connection';

// KEYS: counter. ARGV: max. Returns the new count, or -1 when the user is at the cap.
const ADMIT = `
local n = redis.call('INCR', KEYS[1])
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return -1
end
return n
`;

// KEYS: counter. Never below zero.
const FINISH = `
local n = redis.call('DECR', KEYS[1])
if n < 0 then redis.call('SET', KEYS[1], 0) end
return n
`;

const HOUR_MS = 3_600_000;
/** Hours of job outcomes kept per user (a week). */
const TALLY_HOURS = 168;

/** How a finished job ended. */
export type JobOutcome = 'completed' | 'failed';

/** Options for {@link UserJobs}. */
export interface UserJobsOptions {
  /** Redis key prefix (default `limits`). */
  prefix?: string;
  /** Jobs queued or running per user at once (default 500). */
  maxPending?: number;
  /** Finished jobs (results and failures) kept per user (default 1000); older ones are removed. */
  keepFinished?: number;
}

/**
 * Per-user job accounting shared by producers and workers through Redis:
 * - a cap on jobs queued or running per user;
 * - a fair priority for each new job: its rank among the user's pending jobs (1 for the first), so a user
 *   with one job is served right after the jobs at the front of every other user's backlog, however long
 *   those backlogs are;
 * - per-user retention of finished jobs, so one user's volume never evicts another user's results.
 */
export class UserJobs {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly maxPending: number;
  readonly keepFinished: number;

  constructor(redis: RedisClient, options: UserJobsOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'limits';
    this.maxPending = options.maxPending ?? 500;
    this.keepFinished = options.keepFinished ?? 1000;
  }

  /**
   * Admits one more pending job of `user`. Returns its fair priority (1 = most urgent), or `undefined` when
   * the user is at the cap. Pair every admitted job with one {@link finished} (or {@link withdraw}).
   */
  async admit(user: string): Promise<number | undefined> {
    const n = Number(await this.#redis.eval(ADMIT, 1, this.#pendingKey(user), this.maxPending));
    return n < 0 ? undefined : n;
  }

  /** An admitted job was never queued after all. */
  async withdraw(user: string): Promise<void> {
    await this.#redis.eval(FINISH, 1, this.#pendingKey(user));
  }

  /**
   * A job of `user` reached its final state. Records it among the user's finished jobs (and, given its
   * `outcome`, in the user's hourly tally) and returns the ids of finished jobs now beyond the user's retention,
   * for the caller to remove.
   */
  async finished(user: string, jobId: string, outcome?: JobOutcome): Promise<string[]> {
    const list = this.#finishedKey(user);
    const multi = this.#redis
      .multi()
      .eval(FINISH, 1, this.#pendingKey(user))
      .lpush(list, jobId)
      .lrange(list, this.keepFinished, -1)
      .ltrim(list, 0, this.keepFinished - 1);
    if (outcome) {
      const tally = this.#tallyKey(user, Math.floor(Date.now() / HOUR_MS));
      multi.hincrby(tally, outcome, 1).expire(tally, (TALLY_HOURS + 1) * 3600);
    }
    const [, , [, evicted]] = (await multi.exec()) as [unknown, unknown, [unknown, string[]]];
    return evicted;
  }

  /** Jobs of `user` that completed and failed in the last `hours` hours (whole hours, at most 168). */
  async outcomes(user: string, hours: number): Promise<Record<JobOutcome, number>> {
    const now = Math.floor(Date.now() / HOUR_MS);
    const span = Math.min(Math.max(1, Math.floor(hours)), TALLY_HOURS);
    const pipeline = this.#redis.pipeline();
    for (let hour = now - span + 1; hour <= now; hour++)
      pipeline.hmget(this.#tallyKey(user, hour), 'completed', 'failed');
    const totals = { completed: 0, failed: 0 };
    for (const [, counts] of (await pipeline.exec()) as Array<[unknown, Array<string | null>]>) {
      totals.completed += Number(counts[0] ?? 0);
      totals.failed += Number(counts[1] ?? 0);
    }
    return totals;
  }

  /** Jobs of `user` queued or running, as counted. */
  async pending(user: string): Promise<number> {
    return Number((await this.#redis.get(this.#pendingKey(user))) ?? 0);
  }

  /** Sets the pending counts from the queue itself (the janitor), repairing counts a crash left wrong. */
  async reconcile(counts: Map<string, number>): Promise<void> {
    const known = new Set(counts.keys());
    // One command per key: each user's keys live in their own hash slot (on a Cluster, on any master).
    const writes: Array<Promise<unknown>> = [];
    for (const [user, n] of counts) writes.push(this.#redis.set(this.#pendingKey(user), n));
    const [head, tail] = this.#pendingKey('\n').split('\n') as [string, string];
    for (const key of await scanKeys(this.#redis, this.#pendingKey('*'))) {
      const user = key.slice(head.length, key.length - tail.length);
      if (!known.has(user)) writes.push(this.#redis.set(key, 0));
    }
    await Promise.all(writes);
  }

  // Every key of one user carries the hash tag `{<user>}`: the MULTI of `finished` touches three of them, which a
  // Redis Cluster allows only within one hash slot.
  #pendingKey(user: string): string {
    return `${this.#prefix}:{${user}}:jobs`;
  }

  #tallyKey(user: string, hour: number): string {
    return `${this.#prefix}:{${user}}:outcomes:${hour}`;
  }

  #finishedKey(user: string): string {
    return `${this.#prefix}:{${user}}:finished`;
  }
}
