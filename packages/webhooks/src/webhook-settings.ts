import { sourcePolicyEnv } from '@monorepo/image-processor/contract';
import type { SourcePolicy } from '@monorepo/image-processor/contract';
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a retry schedule: the waits before each retry, `5s,5m,30m,2h` (units ms, s, m, h, d).
 *
 * @throws {Error} on an empty schedule or a malformed entry.
 */
export function parseRetrySchedule(raw: string): number[] {
  const waits = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^(\d+)(ms|s|m|h|d)$/.exec(entry);
      if (!match) throw new Error(`"${entry}" is not a duration (e.g. 500ms, 5s, 5m, 2h, 1d)`);
      return Number(match[1]) * UNITS[match[2]!]!;
    });
  if (waits.length === 0) throw new Error('needs at least one wait');
  return waits;
}

const int = (min: number) => z.coerce.number().int().min(min);

/** The webhook variables, read alike by the API (endpoints, redelivery) and the worker (delivery). */
export const webhookEnvShape = {
  WEBHOOK_QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('webhooks'),
  // Waits before each retry; the Standard Webhooks schedule (about 27 h in all), then the delivery is dead.
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default('5s,5m,30m,2h,5h,10h,10h')
    .transform((raw, ctx) => {
      try {
        return parseRetrySchedule(raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  WEBHOOK_CONNECT_TIMEOUT_MS: int(1).default(5_000),
  // The whole attempt: connecting, sending, and the receiver's answer.
  WEBHOOK_TIMEOUT_MS: int(1).default(15_000),
  // The receiver's answer is read up to this many bytes, then cut off.
  WEBHOOK_MAX_RESPONSE_BYTES: int(0).default(64 * 1024),
  // Endpoints per team, and deliveries per team waiting or being retried at once.
  WEBHOOK_MAX_ENDPOINTS: int(1).default(10),
  WEBHOOK_MAX_PENDING: int(1).default(10_000),
  // Deliveries of one team being attempted at once, across workers (a slow receiver holds no more slots).
  WEBHOOK_MAX_IN_FLIGHT: int(1).default(4),
  // How long a rotated-out secret still signs (both signatures are sent meanwhile).
  WEBHOOK_SECRET_OVERLAP_S: int(0).default(86_400),
  // How long messages and the attempt log are kept (for redelivery); at least the retry schedule.
  WEBHOOK_RETENTION_S: int(60).default(3 * 86_400),
  // An event recorded before its change is looked at after this long even if the change never said it was done.
  WEBHOOK_OUTBOX_GRACE_MS: int(1).default(15 * 60_000),
  ...sourcePolicyEnv('WEBHOOK'),
};

/** The webhook settings as parsed from {@link webhookEnvShape}. */
export type WebhookEnv = z.output<z.ZodObject<typeof webhookEnvShape>>;

/** The address policy of webhook targets: the image sources' rules, with webhook limits and no redirects. */
export function webhookTargetPolicy(env: WebhookEnv): SourcePolicy {
  return {
    allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    allowedHosts: env.WEBHOOK_ALLOWED_HOSTS,
    allowedPorts: env.WEBHOOK_ALLOWED_PORTS,
    maxBytes: env.WEBHOOK_MAX_RESPONSE_BYTES,
    connectTimeoutMs: env.WEBHOOK_CONNECT_TIMEOUT_MS,
    totalTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxRedirects: 0,
  };
}
