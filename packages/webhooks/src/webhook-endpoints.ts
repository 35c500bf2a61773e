import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { WebhookEventType } from './webhook-events.js';
import { newWebhookSecret } from './webhook-signature.js';

/** A secret an endpoint is signed with; one being rotated out signs until `until` (ms since the epoch). */
export interface EndpointSecret {
  secret: string;
  until?: number;
}

/** A team's webhook endpoint as stored (secrets included: never answer with this, see {@link publicEndpoint}). */
export interface WebhookEndpoint {
  id: string;
  team: string;
  url: string;
  events: WebhookEventType[];
  description?: string;
  createdAt: string;
  secrets: EndpointSecret[];
}

/** An endpoint without its secrets. */
export function publicEndpoint({ secrets: _secrets, team: _team, ...rest }: WebhookEndpoint) {
  return rest;
}

// KEYS: the team's endpoints. ARGV: id, record, max. Returns 1, or -1 at the cap.
const CREATE = `
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

// KEYS: the team's endpoints. ARGV: id, new secret, now, overlap ms. Returns the record, or false.
const ROTATE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local record = cjson.decode(raw)
local now = tonumber(ARGV[3])
local kept = { { secret = ARGV[2] } }
for _, s in ipairs(record.secrets) do
  if s['until'] == nil then
    if tonumber(ARGV[4]) > 0 then table.insert(kept, { secret = s.secret, ['until'] = now + tonumber(ARGV[4]) }) end
  elseif s['until'] > now then
    table.insert(kept, s)
  end
end
record.secrets = kept
raw = cjson.encode(record)
redis.call('HSET', KEYS[1], ARGV[1], raw)
return raw
`;

/**
 * The webhook endpoints of every team, in Redis (one hash per team), shared by the API and the workers. Each
 * change is one atomic step: the per-team cap is checked and the endpoint added together; a rotation keeps the
 * old secret for an overlap, however many rotations race.
 */
export class WebhookEndpoints {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  #key(team: string): string {
    return `${this.prefix}:{${team}}:endpoints`;
  }

  /** Adds an endpoint; undefined when the team has `max` already. */
  async create(
    team: string,
    input: { url: string; events: WebhookEventType[]; description?: string },
    max: number,
  ): Promise<WebhookEndpoint | undefined> {
    const endpoint: WebhookEndpoint = {
      id: `ep_${randomUUID().replaceAll('-', '')}`,
      team,
      url: input.url,
      events: [...new Set(input.events)],
      ...(input.description ? { description: input.description } : {}),
      createdAt: new Date().toISOString(),
      secrets: [{ secret: newWebhookSecret() }],
    };
    const added = await this.redis.eval(
      CREATE,
      1,
      this.#key(team),
      endpoint.id,
      JSON.stringify(endpoint),
      max,
    );
    return Number(added) === 1 ? endpoint : undefined;
  }

  async list(team: string): Promise<WebhookEndpoint[]> {
    const all = await this.redis.hvals(this.#key(team));
    return all
      .map((raw) => JSON.parse(raw) as WebhookEndpoint)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async get(team: string, id: string): Promise<WebhookEndpoint | undefined> {
    const raw = await this.redis.hget(this.#key(team), id);
    return raw ? (JSON.parse(raw) as WebhookEndpoint) : undefined;
  }

  /** The team's endpoints subscribed to `type`. */
  async subscribers(team: string, type: WebhookEventType): Promise<WebhookEndpoint[]> {
    return (await this.list(team)).filter((endpoint) => endpoint.events.includes(type));
  }

  async remove(team: string, id: string): Promise<boolean> {
    return (await this.redis.hdel(this.#key(team), id)) === 1;
  }

  /** A new secret; the current one keeps signing for `overlapMs`. Undefined when there is no such endpoint. */
  async rotate(
    team: string,
    id: string,
    overlapMs: number,
  ): Promise<{ secret: string; previousUntil?: string } | undefined> {
    const secret = newWebhookSecret();
    const raw = (await this.redis.eval(
      ROTATE,
      1,
      this.#key(team),
      id,
      secret,
      Date.now(),
      overlapMs,
    )) as string | null;
    if (!raw) return undefined;
    const previous = (JSON.parse(raw) as WebhookEndpoint).secrets[1]?.until;
    return {
      secret,
      ...(previous ? { previousUntil: new Date(previous).toISOString() } : {}),
    };
  }
}

/** The secrets that sign a message now: the current one and any rotated out less than their overlap ago. */
export function signingSecrets(endpoint: WebhookEndpoint, now = Date.now()): string[] {
  return endpoint.secrets
    .filter((s) => s.until === undefined || s.until > now)
    .map((s) => s.secret);
}
