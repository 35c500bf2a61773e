import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ApiConfig } from '../api-config.js';
import type { ApiLimits } from '../limits/api-limits.js';
import type { ApiWebhooks } from '../webhooks/api-webhooks.js';
import { teamUsage } from './team-usage.js';

/**
 * The `GET /v1/usage` figures as gauges labelled by team, read from Redis at each scrape. The teams are the users
 * of the configured API keys and no others, so the label's cardinality is bounded by configuration, whatever
 * requests arrive. Jobs finished are over the last hour.
 */
export function registerTeamMetrics(
  registry: Registry,
  deps: { config: ApiConfig; limits: ApiLimits; webhooks: ApiWebhooks },
): void {
  const teams = deps.config.keys.users;
  // Every gauge's collect shares one reading per scrape (kept a second, so the gauges of one scrape agree).
  let reading: Promise<void> | undefined;
  const read = (): Promise<void> =>
    (reading ??= (async () => {
      for (const team of teams) {
        const usage = await teamUsage(team, 1, deps);
        bytes.set({ team }, usage.storage.bytes);
        objects.set({ team }, usage.storage.objects);
        intents.set({ team }, usage.uploads.openIntents);
        pending.set({ team }, usage.jobs.pending);
        finished.set({ team, outcome: 'completed' }, usage.jobs.completed);
        finished.set({ team, outcome: 'failed' }, usage.jobs.failed);
        deliveries.set({ team }, usage.webhooks.pendingDeliveries);
      }
    })().finally(() => setTimeout(() => (reading = undefined), 1000).unref()));
  const gauge = (name: string, help: string, labelNames: string[] = ['team']) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect: read });
  const bytes = gauge('api_team_stored_bytes', 'Bytes stored per team (the ledger)');
  const objects = gauge('api_team_stored_objects', 'Objects stored per team (the ledger)');
  const intents = gauge(
    'api_team_open_intents',
    'Direct uploads announced and not settled, per team',
  );
  const pending = gauge('api_team_jobs_pending', 'Image jobs queued or running, per team');
  const finished = gauge(
    'api_team_jobs_finished_last_hour',
    'Image jobs finished in the last hour, per team and outcome',
    ['team', 'outcome'],
  );
  const deliveries = gauge(
    'api_team_webhook_deliveries_pending',
    'Webhook deliveries waiting or retrying, per team',
  );
}
