export { REDACTED_PATHS, createLogger, loggableUrl } from './create-logger.js';
export { PrometheusMonitoring } from './prometheus-monitoring.js';
