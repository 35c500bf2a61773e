import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { UploadIntentAnswer } from '@monorepo/api-client';
import { limitsPrefix } from '@monorepo/image-queue';
import { PrometheusMonitoring, createLogger } from '@monorepo/observability';
import { KEY_LAYOUT, StorageFactory } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import {
  STAGING_PREFIX,
  UploadIntents,
  UsageLedger,
  UserJobs,
  intentIdOfStagingKey,
} from '@monorepo/tenant-limits';
import { runJanitor } from '@monorepo/worker/janitor';
import type { JanitorReport } from '@monorepo/worker/janitor';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

// Helpers of the hostile-tenant suites (tenancy.test.ts, tenancy-s3.test.ts): one stack per backend, the API
// configured as in the issue (API_QUOTA_BYTES=2000000), and the janitor run in this process with a clock the
// test moves, so "the janitor ran now" and "it believes everything expired" are both one call.

export const QUOTA = 2_000_000;
export const KB = 1024;
export const MB = 1_000_000;
export const MAX_OPEN = 10;
export const apiKey = (user: string) => `tenancy-key-${user}-${'0123456789abcdef'.repeat(2)}`;
export type Via = 'gateway' | 'direct';
/** An intent as `POST /v1/uploads` answers it. */
export type IntentAnswer = UploadIntentAnswer;

/** What one tenant has, by every account: the figure that matters is stored + staged ≤ quota + reserved. */
export interface TenantFigures {
  user: string;
  quota: number;
  /** Bytes of a fresh listing of `uploads/<user>/`, and its objects. */
  stored: number;
  storedObjects: number;
  /** Bytes in staging (`incoming/`) for the user's intents. */
  staged: number;
  /** What the ledger counts, and holds for uploads and intents. */
  counted: number;
  countedObjects: number;
  reserved: number;
}

export interface TenancyWorld {
  stack: Stack;
  storage: StorageAdapter;
  redis: Redis;
  ledger: UsageLedger;
  intents: UploadIntents;
  /** Runs one janitor pass whose clock is `aheadMs` in the future. */
  janitor(aheadMs?: number): Promise<JanitorReport>;
  figures(user: string): Promise<TenantFigures>;
  stop(): Promise<void>;
}

export async function startTenancyWorld(
  storageType: 'local' | 's3',
  users: readonly string[],
): Promise<TenancyWorld> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `tenancy-${storageType}-`));
  const stack = await startStack({
    dataDir,
    storageType,
    workers: 0,
    apiKeys: Object.fromEntries(users.map((user) => [apiKey(user), user])),
    maxUploadBytes: 8 * MB,
    env: {
      LOG_LEVEL: 'warn',
      API_QUOTA_BYTES: String(QUOTA),
      API_MAX_CONCURRENT_UPLOADS: '2',
      API_MAX_OPEN_UPLOADS: String(MAX_OPEN),
      API_RATE_LIMIT: '100000',
      API_UPLOAD_INTENT_TTL_S: '300',
    },
  });
  const storage = StorageFactory.fromEnv(stack.storageEnv);
  const redis = new Redis(stack.redisUrl);
  const clock = { ahead: 0 };
  const prefix = limitsPrefix('image-processing');
  const ledger = new UsageLedger(redis, { prefix, clock: () => Date.now() + clock.ahead });
  const intents = new UploadIntents(ledger);
  const imageQueue = new Queue('image-processing', { connection: { url: stack.redisUrl } });
  const logger = createLogger('tenancy-janitor', { level: 'silent' });
  const deps = {
    storage,
    ledger,
    intents,
    userJobs: new UserJobs(redis, { prefix }),
    imageQueue,
    staleAfterMs: 3600_000,
    monitoring: new PrometheusMonitoring({ prefix: 'tenancy_', defaultMetrics: false }),
    logger,
  };
  const sum = async (prefix: string, keep: (key: string) => Promise<boolean> | boolean) => {
    let bytes = 0;
    let objects = 0;
    for await (const item of storage.listAll(prefix))
      if (await keep(item.key)) {
        bytes += item.size;
        objects += 1;
      }
    return { bytes, objects };
  };
  return {
    stack,
    storage,
    redis,
    ledger,
    intents,
    janitor: async (aheadMs = 0) => {
      clock.ahead = aheadMs;
      try {
        return await runJanitor(deps);
      } finally {
        clock.ahead = 0;
      }
    },
    figures: async (user) => {
      const stored = await sum(`${KEY_LAYOUT.uploadsRoot}${user}/`, () => true);
      const staged = await sum(STAGING_PREFIX, async (key) => {
        const id = intentIdOfStagingKey(key);
        return id !== undefined && (await intents.ownerOf(id)) === user;
      });
      const usage = await ledger.usage(user);
      return {
        user,
        quota: QUOTA,
        stored: stored.bytes,
        storedObjects: stored.objects,
        staged: staged.bytes,
        counted: usage.bytes,
        countedObjects: usage.objects,
        reserved: usage.reservedBytes,
      };
    },
    stop: async () => {
      await imageQueue.close();
      redis.disconnect();
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A client of one user, through the gateway or straight to the API's own port. */
export function tenant(world: TenancyWorld, user: string, via: Via) {
  const base = via === 'gateway' ? world.stack.gatewayUrl : world.stack.apiUrl;
  const auth = { authorization: `Bearer ${apiKey(user)}` };
  const path = (key: string) => key.split('/').map(encodeURIComponent).join('/');
  const call = (route: string, init: RequestInit = {}) =>
    fetch(`${base}${route}`, { ...init, headers: { ...auth, ...(init.headers as object) } });
  const json = (body: unknown) => ({
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return {
    user,
    call,
    upload: (body: Buffer, name = 'file.bin') =>
      call(`/v1/files?name=${name}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/octet-stream' },
      }),
    announce: (size: number, contentType = 'application/octet-stream', name = 'direct.bin') =>
      call('/v1/uploads', { method: 'POST', ...json({ name, contentType, size }) }),
    /** Sends an intent's bytes where its answer says (the PUT through `via`). */
    send: async (intent: IntentAnswer, body: Buffer, headers: Record<string, string> = {}) => {
      const { upload } = intent;
      if (upload.method === 'POST') {
        const form = new FormData();
        for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
        const type = upload.fields['Content-Type'] ?? 'application/octet-stream';
        form.append(upload.fileField, new Blob([body], { type }), 'file');
        return fetch(upload.url, { method: 'POST', body: form });
      }
      const url = upload.url.replace(world.stack.gatewayUrl, base);
      return fetch(url, { method: 'PUT', body, headers: { ...upload.headers, ...headers } });
    },
    complete: (id: string) => call(`/v1/uploads/${id}/complete`, { method: 'POST' }),
    abort: (id: string) => call(`/v1/uploads/${id}`, { method: 'DELETE' }),
    remove: (key: string) => call(`/v1/files/${path(key)}`, { method: 'DELETE' }),
    read: (key: string) => call(`/v1/files/${path(key)}`),
    sign: (key: string) => call(`/v1/signed-urls/${path(key)}`),
    job: (sourceKey: string) =>
      call('/v1/images', { method: 'POST', ...json({ tool: 'dall-e', sourceKey }) }),
  };
}

/** The status and error code of an answer (its body read). */
export async function outcome(res: Response): Promise<{ status: number; code?: string }> {
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, ...(code ? { code } : {}) };
}
