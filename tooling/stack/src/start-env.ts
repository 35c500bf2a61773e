/**
 * What `make start` hands to the API and the worker from its own environment: every `API_*` (the API's limits
 * and settings: `API_QUOTA_BYTES`, `API_MAX_CONCURRENT_UPLOADS`, …), `IMAGE_*`, `IMAGING_*`, `WORKER_*` and `WEBHOOK_*` variable,
 * `LOG_LEVEL` and the standard `OTEL_*` tracing variables. `API_PORT`, `API_HOST` and `API_KEYS` are read by `make start` itself: the stack sets those per API
 * process.
 */
export function serviceEnvFrom(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([name]) =>
        (name.startsWith('API_') && !['API_PORT', 'API_HOST', 'API_KEYS'].includes(name)) ||
        name.startsWith('IMAGE_') ||
        name.startsWith('IMAGING_') ||
        name.startsWith('WORKER_') ||
        name.startsWith('WEBHOOK_') ||
        name.startsWith('OTEL_') ||
        name === 'LOG_LEVEL',
    ),
  );
}
