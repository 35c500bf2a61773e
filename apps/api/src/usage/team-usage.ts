import type { ApiConfig } from '../api-config.js';
import type { ApiLimits } from '../limits/api-limits.js';
import type { ApiWebhooks } from '../webhooks/api-webhooks.js';

/** One team's figures, as `GET /v1/usage` answers and the `api_team_*` metrics report them. */
export interface TeamUsage {
  team: string;
  storage: {
    /** Bytes and objects counted by the ledger (every completed upload, less deletes). */
    bytes: number;
    objects: number;
    /** Held by uploads in flight and direct uploads announced, not yet settled. */
    reservedBytes: number;
    quota: { bytes: number; objects: number };
  };
  uploads: { inFlight: number; openIntents: number };
  jobs: { pending: number; completed: number; failed: number; windowHours: number };
  webhooks: { pendingDeliveries: number };
}

/** Reads a team's usage from the shared Redis ledgers (nothing is listed from storage). */
export async function teamUsage(
  team: string,
  windowHours: number,
  deps: { config: ApiConfig; limits: ApiLimits; webhooks: ApiWebhooks },
): Promise<TeamUsage> {
  const [usage, pending, outcomes, deliveries] = await Promise.all([
    deps.limits.usage.usage(team),
    deps.limits.jobs.pending(team),
    deps.limits.jobs.outcomes(team, windowHours),
    deps.webhooks.teamJobs.pending(team),
  ]);
  return {
    team,
    storage: {
      bytes: usage.bytes,
      objects: usage.objects,
      reservedBytes: usage.reservedBytes,
      quota: deps.config.quotaFor(team),
    },
    uploads: { inFlight: usage.uploads, openIntents: usage.openIntents },
    jobs: { pending, ...outcomes, windowHours },
    webhooks: { pendingDeliveries: deliveries },
  };
}
