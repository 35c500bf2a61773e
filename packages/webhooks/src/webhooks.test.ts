import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startRedis } from '@monorepo/dev-servers';
import type { RedisTestServer } from '@monorepo/dev-servers';
import { UserJobs } from '@monorepo/tenant-limits';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventOutbox } from './event-outbox.js';
import { TeamSlots } from './team-slots.js';
import { WebhookDeliveries } from './webhook-deliveries.js';
import { WebhookEndpoints } from './webhook-endpoints.js';
import { webhookProcessor } from './webhook-processor.js';
import { parseRetrySchedule } from './webhook-settings.js';
import { webhookBackoff, webhookPrefix } from './webhook-queue.js';
import { newWebhookSecret, signWebhook } from './webhook-signature.js';

describe('signatures', () => {
  it('standardwebhooks verifies them, with one secret or two during a rotation', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ type: 'upload.completed', data: { key: 'k' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = (secrets: string[]) => ({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secrets, 'msg_1', timestamp, body),
    });
    expect(new Webhook(a).verify(body, headers([a]))).toEqual(JSON.parse(body));
    expect(() => new Webhook(b).verify(body, headers([a]))).toThrow();
    for (const secret of [a, b])
      expect(new Webhook(secret).verify(body, headers([b, a]))).toBeTruthy();
    expect(() => new Webhook(a).verify(`${body} `, headers([a]))).toThrow();
  });
});

describe('retry schedule', () => {
  it('parses durations and hands the backoff one wait per retry, the last repeating', () => {
    const schedule = parseRetrySchedule('500ms, 5s,5m,2h,1d');
    expect(schedule).toEqual([500, 5000, 300_000, 7_200_000, 86_400_000]);
    const backoff = webhookBackoff(schedule);
    expect([1, 2, 5, 9].map((n) => backoff(n, 'webhook-schedule'))).toEqual([
      500, 5000, 86_400_000, 86_400_000,
    ]);
    expect(() => parseRetrySchedule('')).toThrow(/at least one/);
    expect(() => parseRetrySchedule('5 minutes')).toThrow(/not a duration/);
  });
});

describe('outbox and delivery on a real Redis, to a real receiver', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let dir: string;
  let queue: Queue;
  let worker: Worker;
  let outbox: EventOutbox;
  let endpoints: WebhookEndpoints;
  let deliveries: WebhookDeliveries;
  const got: Array<{ id: string; body: string; headers: Record<string, string> }> = [];
  let receiver: http.Server;
  let url: string;
  const GRACE_MS = 1500;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'webhooks-'));
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        got.push({
          id: String(req.headers['webhook-id']),
          body: Buffer.concat(chunks).toString('utf8'),
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const name = 'webhooks-test';
    const prefix = webhookPrefix(name);
    const connection = { url: server.url, maxRetriesPerRequest: null };
    queue = new Queue(name, { connection });
    endpoints = new WebhookEndpoints(redis, prefix);
    deliveries = new WebhookDeliveries(redis, prefix, 3600);
    outbox = new EventOutbox(queue, endpoints, { graceMs: GRACE_MS, retentionS: 3600 });
    const schedule = [100];
    worker = new Worker(
      name,
      webhookProcessor({
        queue,
        endpoints,
        deliveries,
        teamJobs: new UserJobs(redis, { prefix }),
        inFlight: new TeamSlots(redis, prefix, 2),
        // The fact: a file on disk named by the subject.
        checkFact: async (event) =>
          existsSync(path.join(dir, event.subject.name!))
            ? { state: 'holds', data: { name: event.subject.name } }
            : { state: 'pending' },
        post: async (target, body, headers) => {
          const res = await fetch(target, { method: 'POST', body, headers });
          return { status: res.status };
        },
        schedule,
        retentionS: 3600,
        attemptTimeoutMs: 5000,
        observer: { increment: () => undefined, log: () => undefined },
        recheckMs: 200,
      }),
      { connection, settings: { backoffStrategy: webhookBackoff(schedule) } },
    );
  });
  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    receiver?.close();
    redis?.disconnect();
    await server?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const waitFor = async (n: number, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (got.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return got;
  };

  it('records nothing for a team without subscribers', async () => {
    expect(await outbox.record('upload.completed', 'nobody', { name: 'x' }, 'x')).toBeUndefined();
    expect(await queue.count()).toBe(0);
  });

  it('a producer that crashes between the fact and the release loses nothing: the event goes out after its grace', async () => {
    const endpoint = (await endpoints.create('team', { url, events: ['upload.completed'] }, 5))!;
    const id = await outbox.record('upload.completed', 'team', { name: 'a' }, 'a');
    await writeFile(path.join(dir, 'a'), 'fact');
    // No release: the producer "crashed". Nothing is sent before the grace, the message arrives after it.
    await new Promise((r) => setTimeout(r, GRACE_MS / 2));
    expect(got).toHaveLength(0);
    const [message] = await waitFor(1);
    expect(message!.id).toBe(id);
    expect(
      new Webhook(endpoint.secrets[0]!.secret).verify(message!.body, message!.headers),
    ).toMatchObject({
      type: 'upload.completed',
      data: { name: 'a' },
    });
  });

  it('a released event goes out at once, once per fact however often it is recorded', async () => {
    got.length = 0;
    const first = await outbox.record('upload.completed', 'team', { name: 'b' }, 'b');
    const again = await outbox.record('upload.completed', 'team', { name: 'b' }, 'b');
    expect(again).toBe(first);
    await writeFile(path.join(dir, 'b'), 'fact');
    await outbox.release(first);
    await outbox.release(again);
    // Released: no longer waiting out its grace.
    expect(await (await queue.getJob(first!))!.getState()).not.toBe('delayed');
    await waitFor(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(got.map((m) => m.id)).toEqual([first]);
  });

  it('an event whose fact never happens is dropped after its grace: nothing is sent', async () => {
    got.length = 0;
    const id = await outbox.record('upload.completed', 'team', { name: 'never' }, 'never');
    await outbox.release(id);
    await new Promise((r) => setTimeout(r, GRACE_MS + 1000));
    expect(got).toHaveLength(0);
    const job = await queue.getJob(id!);
    expect(await job?.getState()).toBe('completed');
    expect(job?.returnvalue).toMatchObject({ outcome: 'void' });
  });

  it('rotations that race keep one current secret and the previous ones overlapping', async () => {
    const endpoint = (await endpoints.create('team', { url, events: ['file.deleted'] }, 5))!;
    const rotated = await Promise.all(
      Array.from({ length: 5 }, () => endpoints.rotate('team', endpoint.id, 60_000)),
    );
    const stored = (await endpoints.get('team', endpoint.id))!;
    expect(stored.secrets).toHaveLength(6);
    expect(stored.secrets.filter((s) => s.until === undefined)).toHaveLength(1);
    expect(rotated.map((r) => r!.secret)).toContain(stored.secrets[0]!.secret);
    expect(await endpoints.rotate('team', 'ep_missing', 1000)).toBeUndefined();
  });
});
