import { describe, expect, it } from 'vitest';
import { useRedis } from '../test/test-redis.js';
import { ADMIT_GRACE_MS, UserJobs } from './user-jobs.js';

const redis = useRedis();

describe('UserJobs (real Redis)', () => {
  it('caps pending jobs per user and hands out fair priorities (rank among the user’s pending jobs)', async () => {
    const jobs = new UserJobs(redis.client(), { prefix: 'j1', maxPending: 3 });
    expect(await jobs.admit('a', 'a-1')).toBe(1);
    expect(await jobs.admit('a', 'a-2')).toBe(2);
    expect(await jobs.admit('b', 'b-1')).toBe(1); // b's first job ranks with a's first
    expect(await jobs.admit('a', 'a-3')).toBe(3);
    expect(await jobs.admit('a', 'a-4')).toBeUndefined();
    expect(await jobs.admit('a', 'a-2')).toBe(2); // the same job again: one job, its place kept
    expect(await jobs.pending('a')).toBe(3);
    await jobs.finished('a', 'a-1');
    await jobs.finished('a', 'a-1'); // accounted twice (a retried event): subtracted once
    expect(await jobs.pending('a')).toBe(2);
    expect(await jobs.admit('a', 'a-4')).toBe(3);
    await jobs.withdraw('a', 'a-4');
    expect(await jobs.pending('a')).toBe(2);
  });

  it('keeps a bounded number of finished jobs per user, so one user cannot evict another’s', async () => {
    const jobs = new UserJobs(redis.client(), { prefix: 'j2', keepFinished: 3 });
    const evicted: string[] = [];
    await jobs.finished('b', 'b-1');
    for (let i = 1; i <= 50; i++) evicted.push(...(await jobs.finished('a', `a-${i}`)));
    expect(evicted).toEqual(Array.from({ length: 47 }, (_, i) => `a-${i + 1}`));
    expect(await jobs.finished('b', 'b-2')).toEqual([]); // b's own history is untouched
    expect(await jobs.pending('a')).toBe(0);
  });

  it('reconciles from the queue: drops old jobs it no longer holds, keeps recent admissions, adds what it missed', async () => {
    const jobs = new UserJobs(redis.client(), { prefix: 'j3' });
    await jobs.admit('x', 'x-queued');
    await jobs.admit('x', 'x-leaked'); // its producer died before queueing it
    await jobs.admit('y', 'y-leaked');
    const later = Date.now() + ADMIT_GRACE_MS + 1000;
    await jobs.reconcile(new Map([['x', ['x-queued', 'x-unknown']]]), later);
    expect(await jobs.pending('x')).toBe(2); // x-queued and x-unknown
    expect(await jobs.pending('y')).toBe(0);
    // Within the grace, an admission the queue does not show yet is kept.
    await jobs.admit('y', 'y-on-its-way');
    await jobs.reconcile(new Map(), Date.now());
    expect(await jobs.pending('y')).toBe(1);
  });

  it('removes the per-user counters of the layout before pending sets, and nothing else', async () => {
    const client = redis.client();
    const jobs = new UserJobs(client, { prefix: 'j5' });
    await client.set('j5:{old-a}:jobs', '3');
    await client.set('j5:{old-b}:jobs', '1');
    await client.set('other:{old-a}:jobs', '2'); // another prefix's
    await jobs.admit('old-a', 'a-1');
    await jobs.reconcile(new Map([['old-a', ['a-1']]]), Date.now());
    expect(await client.exists('j5:{old-a}:jobs')).toBe(0);
    expect(await client.exists('j5:{old-b}:jobs')).toBe(0); // one key at a time: a Cluster spreads them
    expect(await client.get('other:{old-a}:jobs')).toBe('2');
    expect(await jobs.pending('old-a')).toBe(1);
  });

  it('never lets a user past the cap while the janitor reconciles from a snapshot taken before its admissions', async () => {
    const producer = new UserJobs(redis.client(), { prefix: 'j4', maxPending: 5 });
    const janitor = new UserJobs(redis.client(), { prefix: 'j4', maxPending: 5 });
    const user = 'hostile';
    // Both clients connected first (a new Cluster client has its node connections only once it has the slot map).
    await producer.pending(user);
    await expect
      .poll(() =>
        janitor.reconcile(new Map(), 0).then(
          () => true,
          () => false,
        ),
      )
      .toBe(true);
    // The janitor's snapshot predates every admission: it saw none of them. It reconciles over and over on a
    // connection of its own while the user submits, one request after another.
    const snapshotAt = Date.now();
    let submitting = true;
    const passes = (async () => {
      let n = 0;
      while (submitting) {
        await janitor.reconcile(new Map(), snapshotAt);
        n += 1;
      }
      return n;
    })();
    let admitted = 0;
    for (let i = 0; i < 200; i++)
      if ((await producer.admit(user, `job-${i}`)) !== undefined) admitted += 1;
    submitting = false;
    expect(await passes).toBeGreaterThan(10);
    expect(admitted).toBe(5);
    expect(await producer.pending(user)).toBe(5);
  });
});
