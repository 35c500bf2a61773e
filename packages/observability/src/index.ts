export { checkReadiness } from './check-readiness.js';
export type { Readiness, ReadinessChecks, ReadinessOptions } from './check-readiness.js';
export { REDACTED_PATHS, createLogger, loggableUrl } from './create-logger.js';
export { PrometheusMonitoring } from './prometheus-monitoring.js';
