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
  onFailure?: (check: string, error: unknown) => void,
): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const { ready, body } = await checkReadiness(checks, { onFailure });
    return c.json(body, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    await beforeScrape?.().catch(() => {});
    return c.body(await monitoring.metrics(), 200, { 'content-type': monitoring.contentType });
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
  });
}
