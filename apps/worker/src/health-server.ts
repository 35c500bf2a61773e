import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { checkReadiness } from '@monorepo/observability';
import type { PrometheusMonitoring, ReadinessChecks } from '@monorepo/observability';
import { Hono } from 'hono';

/** The worker's small HTTP surface: liveness, readiness and Prometheus metrics. */
export function createHealthApp(
  checks: ReadinessChecks,
  monitoring: PrometheusMonitoring,
  beforeScrape?: () => Promise<void>,
): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const { ready, body } = await checkReadiness(checks);
    return c.json(body, ready ? 200 : 503);
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
