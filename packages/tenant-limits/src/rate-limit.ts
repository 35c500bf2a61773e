import type { RedisClient } from '@monorepo/redis-connection';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** The outcome of one request against a key's rate limit. */
export interface RateDecision {
  allowed: boolean;
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in this window. */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/**
 * Requests per key per window, counted in Redis so every API process shares one budget per key
 * (`rate-limiter-flexible`). A key over its budget is refused until the window resets.
 */
export class RequestRateLimiter {
  readonly #limiter: RateLimiterRedis;
  readonly #limit: number;

  constructor(
    redis: RedisClient,
    options: { limit: number; windowSeconds: number; prefix?: string },
  ) {
    this.#limit = options.limit;
    this.#limiter = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: false,
      keyPrefix: `${options.prefix ?? 'limits'}:rate`,
      points: options.limit,
      duration: options.windowSeconds,
    });
  }

  /**
   * Counts one request of `key`.
   *
   * @throws whatever the Redis client throws while Redis is unreachable (callers answer 503).
   */
  async consume(key: string): Promise<RateDecision> {
    try {
      return this.#decision(await this.#limiter.consume(key), true);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return this.#decision(rejection, false);
      throw rejection;
    }
  }

  #decision(res: RateLimiterRes, allowed: boolean): RateDecision {
    return {
      allowed,
      limit: this.#limit,
      remaining: Math.max(0, res.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }
}

/** `RateLimit-*` headers (IETF draft) for a decision, plus `Retry-After` when refused. */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
    ...(decision.allowed ? {} : { 'retry-after': String(decision.resetSeconds) }),
  };
}
