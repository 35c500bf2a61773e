import type { Cluster, Redis } from 'ioredis';
import type { WebhookEventType } from './webhook-events.js';

/** What became of a delivery after an attempt. */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'dead';

/** One attempt to deliver one message to one endpoint, as listed by `GET /v1/webhooks/{id}/deliveries`. */
export interface DeliveryAttempt {
  /** The message id (`webhook-id`). */
  eventId: string;
  type: WebhookEventType;
  /** 1 for the first attempt; a redelivery starts again at 1. */
  attempt: number;
  redelivery: boolean;
  at: string;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why there was no answer (timeout, refused connection, forbidden address). */
  error?: string;
  ms: number;
  outcome: DeliveryOutcome;
}

const KEPT_ATTEMPTS = 200;

/**
 * The messages (bodies kept for retries and redelivery, first version wins) and each endpoint's recent attempts,
 * in Redis, expiring after the retention.
 */
export class WebhookDeliveries {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly retentionS: number,
  ) {}

  #message(id: string): string {
    return `${this.prefix}:msg:${id}`;
  }

  #attempts(team: string, endpointId: string): string {
    return `${this.prefix}:{${team}}:attempts:${endpointId}`;
  }

  /** Keeps a message's body unless one is kept already; returns the kept one (what every attempt sends). */
  async keepMessage(id: string, body: string): Promise<string> {
    const key = this.#message(id);
    const [, [, kept]] = (await this.redis
      .multi()
      .set(key, body, 'EX', this.retentionS, 'NX')
      .get(key)
      .exec()) as [unknown, [unknown, string]];
    return kept;
  }

  async message(id: string): Promise<string | undefined> {
    return (await this.redis.get(this.#message(id))) ?? undefined;
  }

  async record(team: string, endpointId: string, attempt: DeliveryAttempt): Promise<void> {
    const key = this.#attempts(team, endpointId);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(attempt))
      .ltrim(key, 0, KEPT_ATTEMPTS - 1)
      .expire(key, this.retentionS)
      .exec();
  }

  /** The endpoint's most recent attempts, newest first. */
  async list(team: string, endpointId: string, limit = 50): Promise<DeliveryAttempt[]> {
    const raw = await this.redis.lrange(this.#attempts(team, endpointId), 0, limit - 1);
    return raw.map((entry) => JSON.parse(entry) as DeliveryAttempt);
  }

  /** Forgets an endpoint's attempts (it was deleted). */
  async forget(team: string, endpointId: string): Promise<void> {
    await this.redis.del(this.#attempts(team, endpointId));
  }
}
