export type { Quota } from './quota.js';
export { parseQuotas, parseSize } from './quota.js';
export type { RateDecision } from './rate-limit.js';
export { RequestRateLimiter, rateLimitHeaders } from './rate-limit.js';
export type { Usage, UsageLedgerOptions } from './usage-ledger.js';
export { LimitExceededError, UploadReservation, UsageLedger } from './usage-ledger.js';
export type { UserJobsOptions } from './user-jobs.js';
export { UserJobs } from './user-jobs.js';
