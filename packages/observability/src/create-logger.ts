import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { traceFields } from './spans.js';

/** Paths whose values are never written to logs. */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  'apiKeys',
  '*.secretAccessKey',
  '*.accessKeyId',
  '*.sessionToken',
  '*.password',
  'config.s3.secretAccessKey',
  'config.s3.accessKeyId',
  '*.secret',
  'CDN_SIGNING_KEYS',
  '*.CDN_SIGNING_KEYS',
];

/** A pino JSON logger for a service, with secrets redacted. */
export function createLogger(
  service: string,
  options: { level?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      name: service,
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service, pid: process.pid },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // trace_id and span_id of the active span, when tracing is on.
      mixin: traceFields,
    },
    options.destination,
  );
}

/** A URL safe to log: scheme, host and path only (query strings often carry signatures or tokens). */
export function loggableUrl(raw: string | undefined): string | undefined {
  if (!raw) return raw;
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '[invalid url]';
  }
}
