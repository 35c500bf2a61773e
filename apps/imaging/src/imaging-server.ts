import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { FAILURE_MESSAGES, ImageProcessingError, ImagingError } from '@monorepo/image-processor';
import { checkReadiness, withSpan } from '@monorepo/observability';
import { SpanKind } from '@opentelemetry/api';
import type { PrometheusMonitoring, ReadinessChecks } from '@monorepo/observability';
import { ERROR_CODES, StorageError, STORAGE_ERROR_CODES } from '@monorepo/storage';
import type { ErrorCode } from '@monorepo/storage';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { ImagingMetrics } from './imaging-metrics.js';
import type { Answer, RenderService } from './render-service.js';

/** What a failure answers: its platform code, a message safe to show, and `Retry-After`. */
export function describeFailure(error: unknown): {
  code: ErrorCode;
  message: string;
  retryAfter?: number;
} {
  if (error instanceof ImagingError) {
    const generic = (FAILURE_MESSAGES as Record<string, string>)[error.code];
    // Source failures keep their detail (hosts, sockets) in the log; request refusals say what was wrong.
    const sourceFailure = generic !== undefined && error.code !== 'E_NOT_FOUND';
    return {
      code: error.code,
      message: sourceFailure ? generic : error.message,
      ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
    };
  }
  if (error instanceof ImageProcessingError)
    return { code: error.code, message: FAILURE_MESSAGES[error.code] };
  if (error instanceof StorageError) {
    const code = STORAGE_ERROR_CODES[error.code];
    return {
      code,
      message: ERROR_CODES[code].meaning,
      ...(ERROR_CODES[code].retryable ? { retryAfter: 2 } : {}),
    };
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (
    code === 'ECONNREFUSED' ||
    code === 'ETIMEDOUT' ||
    /Connection is closed|max retries/i.test(String((error as Error)?.message))
  )
    return { code: 'E_UNAVAILABLE', message: ERROR_CODES.E_UNAVAILABLE.meaning, retryAfter: 2 };
  return { code: 'E_INTERNAL', message: 'The render failed' };
}

/** The service's HTTP surface: transforms under `prefix` (and at the root), `/healthz`, `/readyz`, `/metrics`. */
export function createImagingApp(deps: {
  service: RenderService;
  prefix: string;
  checks: ReadinessChecks;
  monitoring: PrometheusMonitoring;
  metrics: ImagingMetrics;
  logger: Logger;
}): Hono {
  const app = new Hono();
  // A server span per request, a child of the caller's traceparent.
  app.use((c, next) =>
    withSpan(
      `${c.req.method} ${c.req.routePath}`,
      {
        kind: SpanKind.SERVER,
        ...(c.req.header('traceparent') ? { parent: c.req.header('traceparent')! } : {}),
      },
      () => next(),
    ),
  );
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const { ready, body } = await checkReadiness(deps.checks, {
      onFailure: (check, error) => deps.logger.warn({ check, err: error }, 'not ready'),
    });
    return c.json(body, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) =>
    c.body(await deps.monitoring.metrics(), 200, { 'content-type': deps.monitoring.contentType }),
  );
  app.on(['GET', 'HEAD'], '*', async (c) => {
    // The signature covers the path exactly as sent: take it from the raw URL, never a decoded form.
    const raw = c.req.url;
    const pathStart = raw.indexOf('/', raw.indexOf('//') + 2);
    let path = raw.slice(pathStart).split('?')[0]!;
    if (deps.prefix && path.startsWith(`${deps.prefix}/`)) path = path.slice(deps.prefix.length);
    let answer: Answer;
    try {
      answer = await deps.service.answer(path, c.req.header('accept') ?? '');
    } catch (error) {
      const failure = describeFailure(error);
      deps.metrics.failures.inc({ code: failure.code });
      const status = ERROR_CODES[failure.code].status;
      deps.logger[status >= 500 ? 'warn' : 'debug'](
        { err: error, code: failure.code, status },
        'transform refused',
      );
      return c.json({ error: { code: failure.code, message: failure.message } }, status as 400, {
        'cache-control': 'no-store',
        ...(failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {}),
      });
    }
    if (answer.kind === 'bytes')
      return c.body(new Uint8Array(answer.data), 200, {
        ...answer.headers,
        'content-length': String(answer.data.length),
      });
    if (answer.kind === 'redirect') return c.body(null, 200, answer.headers);
    const stream = Readable.toWeb(answer.stream as Readable) as ReadableStream;
    return c.body(stream, 200, answer.headers);
  });
  return app;
}

/** Starts `app` on `hostname:port` (port 0 picks a free one) and resolves with the bound port. */
export function listen(
  app: Hono,
  port: number,
  hostname: string,
): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname }, (info) =>
      resolve({ server, port: info.port }),
    );
    // Longer than nginx's upstream keepalive_timeout (60 s): nginx, not this server, closes idle connections, so
    // it never sends a request on one that is being closed.
    (server as { keepAliveTimeout?: number }).keepAliveTimeout = 65_000;
  });
}
