import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { MetricLabels, Monitoring } from '@monorepo/storage-core';
import { tracingStarted } from './start-tracing.js';

/**
 * A `Monitoring` that also turns each storage operation the `Disk` front layer times (`storage_operation_ms`,
 * labelled backend, operation, outcome) into a span `storage.<operation>` under the active span, so storage
 * stays free of OpenTelemetry. Keys are never attributes. Everything else goes to `inner` unchanged.
 */
export function traceStorageOperations(inner: Monitoring): Monitoring {
  return {
    increment: (name, labels, value) => inner.increment(name, labels, value),
    timing(name: string, milliseconds: number, labels: MetricLabels = {}) {
      inner.timing(name, milliseconds, labels);
      if (name !== 'storage_operation_ms' || !tracingStarted() || !trace.getActiveSpan()) return;
      const end = Date.now();
      const span = trace.getTracer('monorepo').startSpan(
        `storage.${labels.operation}`,
        {
          kind: SpanKind.CLIENT,
          startTime: end - milliseconds,
          attributes: {
            'storage.backend': String(labels.backend),
            'storage.operation': String(labels.operation),
            'storage.outcome': String(labels.outcome),
          },
        },
        context.active(),
      );
      if (labels.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(end);
    },
  };
}
