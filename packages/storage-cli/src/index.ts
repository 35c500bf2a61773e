export { describeBackend, parseBackendSpec } from './backend-spec.js';
export { backupToFile, restoreFromFile } from './backup.js';
export { cleanOlderThan, parseDuration } from './clean.js';
export type { CleanSummary } from './clean.js';
export { EXIT, buildProgram, main } from './cli.js';
export { createProgress, formatBytes } from './progress.js';
export type { Progress } from './progress.js';
export { SYNC_ETAG, isSameObject, syncStorage } from './sync.js';
export type { SyncOptions, SyncSummary } from './sync.js';
export { computeUsage } from './usage.js';
export type { UsageReport, UsageTotals } from './usage.js';
export {
  PUBLIC_PREFIXES,
  STORAGE_FOLDERS,
  initLocalStorage,
  initS3Storage,
} from './init-storage.js';
export type { S3InitReport } from './init-storage.js';
