import { describe, expect, it } from 'vitest';
import { useRedis } from '../test/test-redis.js';
import { UserJobs } from './user-jobs.js';

const redis = useRedis();

describe('UserJobs (real Redis)', () => {
  it('caps pending jobs per user and hands out fair priorities (rank among the user’s pending jobs)', async () => {
    const jobs = new UserJobs(redis.client(), { prefix: 'j1', maxPending: 3 });
    expect(await jobs.admit('a')).toBe(1);
    expect(await jobs.admit('a')).toBe(2);
    expect(await jobs.admit('b')).toBe(1); // b's first job ranks with a's first
    expect(await jobs.admit('a')).toBe(3);
    expect(await jobs.admit('a')).toBeUndefined();
    expect(await jobs.pending('a')).toBe(3);
    await jobs.finished('a', 'job-1');
    expect(await jobs.admit('a')).toBe(3);
    await jobs.withdraw('a');
    expect(await jobs.pending('a')).toBe(2);
  });

  it('keeps a bounded number of finished jobs per user, so one user cannot evict another’s', async () => {
    const jobs = new UserJobs(redis.client(), { prefix: 'j2', keepFinished: 3 });
    const evicted: string[] = [];
    await jobs.finished('b', 'b-1');
    for (let i = 1; i <= 50; i++) evicted.push(...(await jobs.finished('a', `a-${i}`)));
    expect(evicted).toEqual(Array.from({ length: 47 }, (_, i) => `a-${i + 1}`));
    expect(await jobs.finished('b', 'b-2')).toEqual([]); // b's own history is untouched
    expect(await jobs.pending('a')).toBe(0); // never below zero
  });

  it('reconciles counts from the queue', async () => {
    const jobs = new UserJobs(redis.client(), { prefix: 'j3' });
    await jobs.admit('x');
    await jobs.admit('y');
    await jobs.reconcile(new Map([['x', 5]]));
    expect(await jobs.pending('x')).toBe(5);
    expect(await jobs.pending('y')).toBe(0);
  });
});
