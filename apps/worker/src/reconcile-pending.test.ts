import { startRedis } from '@monorepo/dev-servers';
import type { RedisTestServer } from '@monorepo/dev-servers';
import { ADMIT_GRACE_MS, UserJobs } from '@monorepo/tenant-limits';
import { DELIVER_JOB, webhookPrefix } from '@monorepo/webhooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryOwner, reconcilePending } from './reconcile-pending.js';

describe('the janitor repairs pending counts from the queue (real Redis, real BullMQ queue)', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let queue: Queue;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
    queue = new Queue('webhooks-test', { connection: { url: server.url } });
  });
  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await server?.stop();
  });

  it('frees the slot a producer admitted and never queued (webhook deliveries), and keeps queued and fresh ones', async () => {
    const teamJobs = new UserJobs(redis, { prefix: webhookPrefix('webhooks-test'), maxPending: 3 });
    // A fan-out that admitted three deliveries and died before queueing two of them: the team stays at its cap.
    for (const id of ['queued', 'lost-1', 'lost-2'])
      expect(await teamJobs.admit('team-a', id)).toBeDefined();
    await queue.add(
      DELIVER_JOB,
      { team: 'team-a', eventId: 'e', endpointId: 'x' },
      { jobId: 'queued' },
    );
    // Not a delivery (the outbox's own jobs): never counted, whatever its data says.
    await queue.add('record', { team: 'team-a' }, { jobId: 'record-1' });
    expect(await teamJobs.admit('team-a', 'over-cap')).toBeUndefined();
    const owners = (now: () => number) => reconcilePending(queue, teamJobs, deliveryOwner, now);

    // Within the grace after admission nothing goes: the producer may still be on its way to the queue.
    expect(await owners(Date.now)).toBe(1);
    expect(await teamJobs.pending('team-a')).toBe(3);

    // Past it, the lost ones go and the queued one stays: the team can send again, up to its cap.
    expect(await owners(() => Date.now() + ADMIT_GRACE_MS + 1000)).toBe(1);
    expect(await teamJobs.pending('team-a')).toBe(1);
    expect(await teamJobs.admit('team-a', 'next-1')).toBeDefined();
    expect(await teamJobs.admit('team-a', 'next-2')).toBeDefined();
    expect(await teamJobs.admit('team-a', 'next-3')).toBeUndefined();
  });
});
