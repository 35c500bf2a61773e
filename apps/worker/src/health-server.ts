import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import type { PrometheusMonitoring } from '@monorepo/observability';
import { Hono } from 'hono';

/** Checks behind `/readyz`: each resolves when its dependency is reachable. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/** The worker's small HTTP surface: liveness, readiness and Prometheus metrics. */
export function createHealthApp(
  checks: ReadinessChecks,
  monitoring: PrometheusMonitoring,
  beforeScrape?: () => Promise<void>,
): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2000);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, `unavailable: ${(error as Error)?.message ?? 'error'}`] as const;
        }
      }),
    );
    const ready = results.every(([, status]) => status === 'ok');
    return c.json(
      { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) },
      ready ? 200 : 503,
    );
  });
  app.get('/metrics', async (c) => {
    await beforeScrape?.().catch(() => {});
    return c.body(await monitoring.metrics(), 200, { 'content-type': monitoring.contentType });
  });
  return app;
}

/** Starts `app` on `port` (0 picks a free one) and resolves with the bound port. */
export function listen(app: Hono, port: number): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' }, (info) =>
      resolve({ server, port: info.port }),
    );
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);
}
