export { checkReadiness } from './check-readiness.js';
export type { Readiness, ReadinessChecks, ReadinessOptions } from './check-readiness.js';
export { REDACTED_PATHS, createLogger, loggableUrl } from './create-logger.js';
export { PrometheusMonitoring } from './prometheus-monitoring.js';
export { startTracing, tracingStarted, tracingWanted } from './start-tracing.js';
export type { Tracing } from './start-tracing.js';
export { contextOf, currentTraceparent, httpServerSpan, traceFields, withSpan } from './spans.js';
export { traceStorageOperations } from './storage-spans.js';
