import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';

import { tracingStarted } from './start-tracing.js';

const tracer = () => trace.getTracer('monorepo');
const NOT_RECORDED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The active span's W3C `traceparent`, to carry in job data; undefined when nothing is traced. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The context a carried `traceparent` names (the active one when there is none). */
export function contextOf(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : context.active();
}

/**
 * Runs `fn` in a span named `name` (a child of `parent` when given, a carried `traceparent`, else of the active
 * span), ended when `fn` settles; an error sets the span's status and is thrown on.
 */
export async function withSpan<T>(
  name: string,
  options: { attributes?: Attributes; parent?: string; kind?: SpanKind },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingStarted()) return fn(NOT_RECORDED);
  const parent = options.parent === undefined ? context.active() : contextOf(options.parent);
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    throw error;
  } finally {
    span.end();
  }
}

/** The trace and span ids of the active span, for log lines (empty when nothing is traced). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * A server span per HTTP request, a child of the caller's `traceparent` when it sends one; the request's handlers
 * run inside it. `route` is asked for when the answer is finished (the matched route, not the raw path).
 */
export function httpServerSpan(
  req: { method?: string; headers: Record<string, string | string[] | undefined> },
  res: { statusCode: number; once(event: 'finish' | 'close', listener: () => void): unknown },
  route: () => string,
  next: () => void,
): void {
  if (!tracingStarted()) return next();
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = req.method ?? 'GET';
  const span = tracer().startSpan(
    method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } },
    parent,
  );
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    const name = route();
    span.updateName(`${method} ${name}`);
    span.setAttributes({ 'http.route': name, 'http.response.status_code': res.statusCode });
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  res.once('finish', end);
  res.once('close', end);
  context.with(trace.setSpan(parent, span), next);
}
