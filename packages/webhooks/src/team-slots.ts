import type { Cluster, Redis } from 'ioredis';

// KEYS: the team's leases. ARGV: holder, now, expiry, max. Returns 1 when taken, 0 at the cap.
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
`;

/**
 * Deliveries of one team being attempted at once, across every worker: a lease per delivery, taken and checked
 * against the cap in one step, and expiring on its own should its worker die, so a team whose receiver is slow
 * or never answers holds at most `max` of the workers' slots.
 */
export class TeamSlots {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly max: number,
  ) {}

  #key(team: string): string {
    return `${this.prefix}:{${team}}:in-flight`;
  }

  /** Takes a slot for `holder` for `leaseMs`; false when the team has `max` in flight. */
  async take(team: string, holder: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    const taken = await this.redis.eval(
      TAKE,
      1,
      this.#key(team),
      holder,
      now,
      now + leaseMs,
      this.max,
    );
    return Number(taken) === 1;
  }

  async release(team: string, holder: string): Promise<void> {
    await this.redis.zrem(this.#key(team), holder);
  }
}
