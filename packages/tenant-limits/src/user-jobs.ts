import { scanKeys } from '@monorepo/redis-connection';
import type { RedisClient } from '@monorepo/redis-connection';

// KEYS: the user's pending set. ARGV: max, job id, now (ms). Returns the job's rank among the user's pending jobs
// (an id admitted already keeps its place: a repeated request is one job), or -1 when the user is at the cap.
const ADMIT = `
local rank = redis.call('ZRANK', KEYS[1], ARGV[2])
if rank then return rank + 1 end
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[1]) then return -1 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
return n + 1
`;

// KEYS: the user's pending set. ARGV: cutoff (ms), snapshot time (ms), then the ids the queue holds for the user.
// Drops ids admitted before the cutoff that the queue no longer holds (a producer or worker that died between
// admitting and queueing, or before accounting a finished job); ids admitted since may still be on their way to
// the queue and stay. Adds queued ids it did not know. Returns the count.
const RECONCILE = `
local queued = {}
for i = 3, #ARGV do queued[ARGV[i]] = true end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])) do
  if not queued[id] then redis.call('ZREM', KEYS[1], id) end
end
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[i]) end
return redis.call('ZCARD', KEYS[1])
`;

/**
 * How long an admitted job may take to reach the queue before the janitor may take it for one that never will
 * (a producer that died in between).
 */
export const ADMIT_GRACE_MS = 60_000;

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
   * Admits job `jobId` of `user`. Returns its fair priority (its rank among the user's pending jobs, 1 = most
   * urgent), or `undefined` when the user is at the cap. Admitting the same id again changes nothing (returns its
   * rank). Pair every admitted job with one {@link finished} (or {@link withdraw}).
   */
  async admit(user: string, jobId: string): Promise<number | undefined> {
    const n = Number(
      await this.#redis.eval(ADMIT, 1, this.#pendingKey(user), this.maxPending, jobId, Date.now()),
    );
    return n < 0 ? undefined : n;
  }

  /** An admitted job was never queued after all. */
  async withdraw(user: string, jobId: string): Promise<void> {
    await this.#redis.zrem(this.#pendingKey(user), jobId);
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
      .zrem(this.#pendingKey(user), jobId)
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
    return this.#redis.zcard(this.#pendingKey(user));
  }

  /**
   * Repairs the pending sets from the queue itself (the janitor): `queued` holds each user's job ids in a pending
   * state, read from the queue at `snapshotAt`. Only ids admitted more than {@link ADMIT_GRACE_MS} before the
   * snapshot and no longer queued are dropped, one user at a time in one atomic step, so an admission racing the
   * janitor is never forgotten (a count set from a snapshot would let a user past the cap meanwhile).
   */
  async reconcile(queued: Map<string, string[]>, snapshotAt: number): Promise<void> {
    const cutoff = snapshotAt - ADMIT_GRACE_MS;
    // The per-user counters the pending sets replaced (`…:{<user>}:jobs`): read by nothing since, removed here.
    for (const key of await scanKeys(this.#redis, `${this.#prefix}:{*}:jobs`))
      await this.#redis.del(key);
    const users = new Set(queued.keys());
    const [head, tail] = this.#pendingKey('\n').split('\n') as [string, string];
    for (const key of await scanKeys(this.#redis, this.#pendingKey('*')))
      users.add(key.slice(head.length, key.length - tail.length));
    // One script per user: each user's keys live in their own hash slot (on a Cluster, on any master).
    await Promise.all(
      [...users].map((user) =>
        this.#redis.eval(
          RECONCILE,
          1,
          this.#pendingKey(user),
          cutoff,
          snapshotAt,
          ...(queued.get(user) ?? []),
        ),
      ),
    );
  }

  // Every key of one user carries the hash tag `{<user>}`: the MULTI of `finished` touches three of them, which a
  // Redis Cluster allows only within one hash slot.
  #pendingKey(user: string): string {
    return `${this.#prefix}:{${user}}:pending-jobs`;
  }

  #tallyKey(user: string, hour: number): string {
    return `${this.#prefix}:{${user}}:outcomes:${hour}`;
  }

  #finishedKey(user: string): string {
    return `${this.#prefix}:{${user}}:finished`;
  }
}
