export type { Quota } from './quota.js';
export { parseQuotas, parseSize } from './quota.js';
export type { RateDecision } from './rate-limit.js';
export { RequestRateLimiter, rateLimitHeaders } from './rate-limit.js';
export { LimitExceededError } from './limit-exceeded-error.js';
export type { Usage, UsageLedgerOptions } from './usage-ledger.js';
export { UsageLedger } from './usage-ledger.js';
export { UploadReservation } from './upload-reservation.js';
export type { ReconcileResult } from './reconciliation.js';
export { Reconciliation } from './reconciliation.js';
export type { JobOutcome, UserJobsOptions } from './user-jobs.js';
export { ADMIT_GRACE_MS, UserJobs } from './user-jobs.js';
export { UploadIntents } from './upload-intents.js';
export { STAGING_PREFIX, checkedKey, intentIdOfStagingKey, stagingKey } from './staging-keys.js';
export type {
  CompletionRefusal,
  IntentState,
  UploadIntent,
  UploadIntentsOptions,
} from './upload-intents.js';
export type { TenantKeys } from './tenant-keys.js';
export { tenantKeys } from './tenant-keys.js';
