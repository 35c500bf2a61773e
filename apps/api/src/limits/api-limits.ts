import { limitsPrefix } from '@monorepo/image-queue';
import { RequestRateLimiter, UploadIntents, UsageLedger, UserJobs } from '@monorepo/tenant-limits';
import type { RedisClient } from '@monorepo/redis-connection';
import type { ApiConfig } from '../api-config.js';

/** The per-tenant limits the API enforces, all kept in Redis so every API process shares them. */
export interface ApiLimits {
  /** Requests per user per window. */
  rate: RequestRateLimiter;
  /** Storage quota (counted per key, plus reservations) and concurrent uploads per user. */
  usage: UsageLedger;
  /** Direct uploads announced and not yet settled, per user: each reserves its size on `usage`. */
  intents: UploadIntents;
  /** Pending image jobs per user, and their fair priorities. */
  jobs: UserJobs;
}

/** Builds the limits from the configuration, on one Redis connection. */
export function createApiLimits(redis: RedisClient, config: ApiConfig): ApiLimits {
  const prefix = limitsPrefix(config.IMAGE_QUEUE_NAME);
  const usage = new UsageLedger(redis, {
    prefix,
    quotaFor: config.quotaFor,
    maxConcurrentUploads: config.API_MAX_CONCURRENT_UPLOADS,
    // An upload cannot outlive its request; a crashed process's lease expires soon after.
    leaseMs: config.API_REQUEST_TIMEOUT_MS + 60_000,
  });
  return {
    rate: new RequestRateLimiter(redis, {
      prefix,
      limit: config.API_RATE_LIMIT,
      windowSeconds: config.API_RATE_LIMIT_WINDOW_S,
    }),
    usage,
    intents: new UploadIntents(usage, { maxOpenPerUser: config.API_MAX_OPEN_UPLOADS }),
    jobs: new UserJobs(redis, { prefix, maxPending: config.API_MAX_PENDING_JOBS }),
  };
}
