import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A direct upload a user announced: where it goes, what it must be, and until when. */
export interface UploadIntent {
  id: string;
  user: string;
  key: string;
  contentType: string;
  size: number;
  visibility: 'public' | 'private';
  /** Unix time in ms after which the intent is void and its object removed. */
  expiresAt: number;
}

/** Options of {@link UploadIntents}. */
export interface UploadIntentsOptions {
  /** Redis key prefix shared with the other limits (default `limits`). */
  prefix?: string;
  /** Most intents a user may have open at once (default 100). */
  maxOpenPerUser?: number;
}

/**
 * Upload intents kept in Redis and shared by every API and worker process: created by the API, completed once,
 * and, when never completed, expired by the janitor, which then removes whatever was uploaded for them. An intent
 * may carry a single-use token (uploads that go through the API without an API key: the local backend).
 */
export class UploadIntents {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #maxOpen: number;

  constructor(redis: Redis, options: UploadIntentsOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'limits';
    this.#maxOpen = options.maxOpenPerUser ?? 100;
  }

  /**
   * Records a new intent and returns it with a fresh single-use token.
   *
   * @returns `undefined` when the user already has `maxOpenPerUser` intents open.
   */
  async create(
    intent: Omit<UploadIntent, 'id'>,
  ): Promise<{ intent: UploadIntent; token: string } | undefined> {
    const open = `${this.#prefix}:intents:open:${intent.user}`;
    await this.#redis.zremrangebyscore(open, '-inf', Date.now());
    if ((await this.#redis.zcard(open)) >= this.#maxOpen) return undefined;
    const full: UploadIntent = { ...intent, id: randomUUID() };
    const token = randomBytes(24).toString('base64url');
    const ttlMs = Math.max(1, intent.expiresAt - Date.now()) + 24 * 3600 * 1000;
    await this.#redis
      .multi()
      .set(this.#key(full.id), JSON.stringify(full), 'PX', ttlMs)
      .set(this.#tokenKey(full.id), token, 'PX', Math.max(1, intent.expiresAt - Date.now()))
      .zadd(`${this.#prefix}:intents:expiry`, intent.expiresAt, full.id)
      .zadd(open, intent.expiresAt, full.id)
      .pexpire(open, ttlMs)
      .exec();
    return { intent: full, token };
  }

  /** The intent, while it is open (not completed, not expired). */
  async get(id: string): Promise<UploadIntent | undefined> {
    const raw = await this.#redis.get(this.#key(id));
    const intent = raw ? (JSON.parse(raw) as UploadIntent) : undefined;
    return intent && intent.expiresAt > Date.now() ? intent : undefined;
  }

  /** Spends the intent's single-use token: true once for the right token, false ever after. */
  async spendToken(id: string, token: string): Promise<boolean> {
    const stored = await this.#redis.getdel(this.#tokenKey(id));
    if (!stored) return false;
    const a = Buffer.from(stored);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Closes an intent for good (completed or refused): it can be neither completed nor expired again. */
  async close(intent: UploadIntent): Promise<void> {
    await this.#redis
      .multi()
      .del(this.#key(intent.id), this.#tokenKey(intent.id))
      .zrem(`${this.#prefix}:intents:expiry`, intent.id)
      .zrem(`${this.#prefix}:intents:open:${intent.user}`, intent.id)
      .exec();
  }

  /**
   * Takes up to `limit` intents that expired unused, closing them: the caller removes their objects. An intent
   * taken here is never handed out again, even to another janitor.
   */
  async takeExpired(limit = 1000): Promise<UploadIntent[]> {
    const expiry = `${this.#prefix}:intents:expiry`;
    const ids = await this.#redis.zrangebyscore(expiry, '-inf', Date.now(), 'LIMIT', 0, limit);
    const taken: UploadIntent[] = [];
    for (const id of ids) {
      if ((await this.#redis.zrem(expiry, id)) === 0) continue; // another janitor took it
      const raw = await this.#redis.get(this.#key(id));
      if (!raw) continue;
      const intent = JSON.parse(raw) as UploadIntent;
      await this.close(intent);
      taken.push(intent);
    }
    return taken;
  }

  #key(id: string): string {
    return `${this.#prefix}:intent:${id}`;
  }

  #tokenKey(id: string): string {
    return `${this.#prefix}:intent-token:${id}`;
  }
}
