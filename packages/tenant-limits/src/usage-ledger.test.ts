import { describe, expect, it } from 'vitest';
import { LimitExceededError } from './limit-exceeded-error.js';
import { parseQuotas } from './quota.js';
import { tenantKeys } from './tenant-keys.js';
import { useRedis } from '../test/test-redis.js';
import { UsageLedger } from './usage-ledger.js';

const redis = useRedis();
const ledger = (extra: Partial<ConstructorParameters<typeof UsageLedger>[1]> = {}) =>
  new UsageLedger(redis.client(), {
    prefix: `t${Math.random()}`,
    quotaFor: parseQuotas({ bytes: 1000, objects: 3 }, 'big=1MB/100'),
    ...extra,
  });
const counted = (bytes: number, objects: number) => ({
  bytes,
  objects,
  reservedBytes: 0,
  reservedObjects: 0,
  uploads: 0,
  openIntents: 0,
});

describe('UsageLedger (real Redis)', () => {
  it('refuses an upload over the quota before anything is stored, and counts what is committed', async () => {
    const l = ledger();
    const a = await l.begin('u', 600);
    expect(await l.usage('u')).toMatchObject({
      reservedBytes: 600,
      reservedObjects: 1,
      uploads: 1,
    });
    await a.commit('uploads/u/a', 600);
    expect(await l.usage('u')).toEqual(counted(600, 1));
    const error = await l.begin('u', 500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toMatchObject({ code: 'E_QUOTA_EXCEEDED' });
    expect(await l.usage('u')).toEqual(counted(600, 1)); // nothing reserved
    const b = await l.begin('u', 100);
    await b.cancel();
    await b.cancel(); // settles once
    expect(await l.usage('u')).toEqual(counted(600, 1));
    expect(await l.sizeOf('u', 'uploads/u/a')).toBe(600);
    expect(l.quotaFor('big')).toEqual({ bytes: 1024 * 1024, objects: 100 });
  });

  it('grows a reservation for an upload of unknown length and stops it at the quota', async () => {
    const l = ledger();
    const r = await l.begin('u', 0);
    await r.ensure(300, 256);
    expect(r.reserved).toBe(300);
    await r.ensure(900, 256);
    expect(r.reserved).toBe(900); // the last step shrank to what fits
    await expect(r.ensure(1001, 256)).rejects.toMatchObject({ code: 'E_QUOTA_EXCEEDED' });
    await r.commit('uploads/u/x', 950);
    expect(await l.usage('u')).toEqual(counted(950, 1));
  });

  it('caps objects and concurrent uploads, atomically across many callers', async () => {
    const l = ledger({ maxConcurrentUploads: 2 });
    const first = await Promise.allSettled(Array.from({ length: 10 }, () => l.begin('c', 1)));
    const won = first.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(2);
    expect(
      first
        .filter((r) => r.status === 'rejected')
        .every((r) => (r as PromiseRejectedResult).reason.code === 'E_TOO_MANY_UPLOADS'),
    ).toBe(true);
    let i = 0;
    for (const r of won)
      await (r as PromiseFulfilledResult<Awaited<ReturnType<typeof l.begin>>>).value.commit(
        `k${i++}`,
        1,
      );
    await (await l.begin('c', 1)).commit('k2', 1);
    await expect(l.begin('c', 1)).rejects.toMatchObject({ code: 'E_QUOTA_EXCEEDED' }); // 3 objects max
    await l.remove('c', 'k0');
    await (await l.begin('c', 1)).commit('k3', 1);
  });

  it('subtracts exactly what was counted for a key, once, however many deletes race; never-counted keys subtract nothing', async () => {
    const l = ledger();
    await (await l.begin('d', 400)).commit('uploads/d/a', 400);
    await (await l.begin('d', 100)).commit('uploads/d/b', 100);
    expect(await l.remove('d', 'uploads/d/never-counted')).toBeUndefined();
    expect(await l.usage('d')).toEqual(counted(500, 2));
    const results = await Promise.all(
      Array.from({ length: 25 }, () => l.remove('d', 'uploads/d/a')),
    );
    expect(results.filter((r) => r !== undefined)).toEqual([400]);
    expect(await l.usage('d')).toEqual(counted(100, 1));
    // A re-upload to a key replaces its count, never adds a second object.
    await (await l.begin('d', 300)).commit('uploads/d/b', 300);
    expect(await l.usage('d')).toEqual(counted(300, 1));
  });

  it('takes empty files like any other: commits, cancels and removes of 0 bytes settle, and free their slot', async () => {
    const l = ledger({ maxConcurrentUploads: 1 });
    await (await l.begin('e', 0)).cancel(); // refused: nothing counted, the slot back
    await (await l.begin('e', 0)).commit('uploads/e/empty', 0);
    expect(await l.usage('e')).toEqual(counted(0, 1));
    expect(await l.remove('e', 'uploads/e/empty')).toBe(0);
    expect(await l.usage('e')).toEqual(counted(0, 0));
    await (await l.begin('e', 5)).commit('uploads/e/after', 5); // one slot: every one before was given back
    expect(await l.usage('e')).toEqual(counted(5, 1));
  });

  it('releases the slot and reservation of a crashed upload when its lease lapses', async () => {
    // A lease long enough that it cannot lapse between the next two calls on a loaded machine (200 ms could).
    const l = ledger({ leaseMs: 1_000, maxConcurrentUploads: 1 });
    await l.begin('z', 400); // never settled: a crashed API process
    await expect(l.begin('z', 1)).rejects.toMatchObject({ code: 'E_TOO_MANY_UPLOADS' });
    expect(await l.usage('z')).toMatchObject({ reservedBytes: 400, uploads: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await l.usage('z')).toEqual(counted(0, 0));
    await (await l.begin('z', 1)).commit('k', 1);
  });

  it('reconciles from a listing while uploads and deletes go on, and nobody can dodge it with an upload in flight', async () => {
    const l = ledger({ quotaFor: () => ({ bytes: 10_000, objects: 100 }) });
    const keys = tenantKeys(l.prefix, 'r');
    await (await l.begin('r', 100)).commit('uploads/r/kept', 100);
    await (await l.begin('r', 200)).commit('uploads/r/deleted-meanwhile', 200);
    await (await l.begin('r', 300)).commit('uploads/r/ghost', 300); // counted, but gone from storage
    await l.redis.hset(keys.usage, 'bytes', 1000); // a drifted total (600 in truth)
    const inFlight = await l.begin('r', 700); // a slow upload, holding its slot all along
    const run = await l.beginReconcile();
    expect(run.users.has('r')).toBe(true);
    // The listing (taken now) sees: kept, deleted-meanwhile, an object never counted (a crash before commit).
    await run.add('r', 'uploads/r/kept', 100);
    await run.add('r', 'uploads/r/deleted-meanwhile', 200);
    await run.add('r', 'uploads/r/crashed-before-commit', 50);
    await run.add('newcomer', 'uploads/newcomer/x', 5); // no ledger yet: registered, reconciled next time
    // Meanwhile: a delete, and a commit of a key the listing missed.
    expect(await l.remove('r', 'uploads/r/deleted-meanwhile')).toBe(200);
    await (await l.begin('r', 40)).commit('uploads/r/committed-meanwhile', 40);
    const [result] = await run.finish();
    expect(result).toEqual({
      user: 'r',
      before: { bytes: 1000 - 200 + 40, objects: 3 },
      after: { bytes: 100 + 50 + 40, objects: 3 },
    });
    expect(await l.usage('r')).toMatchObject({
      bytes: 190,
      objects: 3,
      reservedBytes: 700,
      uploads: 1,
    });
    expect(await l.sizeOf('r', 'uploads/r/ghost')).toBeUndefined();
    await inFlight.commit('uploads/r/slow', 700);
    expect(await l.usage('r')).toEqual(counted(890, 4));
    expect(await l.users()).toContain('newcomer');
    // A key counted by the reconciliation and committed afterwards is counted once.
    const again = await l.beginReconcile();
    await again.add('r', 'uploads/r/late', 10);
    for (const key of ['kept', 'crashed-before-commit', 'committed-meanwhile', 'slow'])
      await again.add('r', `uploads/r/${key}`, (await l.sizeOf('r', `uploads/r/${key}`))!);
    await again.finish();
    await (await l.begin('r', 10)).commit('uploads/r/late', 10);
    expect(await l.usage('r')).toEqual(counted(900, 5));
  });

  it('carries usage of the old key layout over once, then rebuilds sizes by reconciliation', async () => {
    const l = ledger();
    await l.redis.hset(`${l.prefix}:usage:old`, 'bytes', 700, 'objects', 2);
    await l.redis.zadd(`${l.prefix}:uploads:old`, Date.now() + 1000, 'lease');
    expect(await l.migrateLegacy()).toBe(1);
    expect(await l.migrateLegacy()).toBe(0);
    expect(await l.usage('old')).toEqual(counted(700, 2));
    // One key per EXISTS: on a Cluster the two old keys live in different slots.
    expect(await l.redis.exists(`${l.prefix}:usage:old`)).toBe(0);
    expect(await l.redis.exists(`${l.prefix}:uploads:old`)).toBe(0);
    await expect(l.begin('old', 301)).rejects.toMatchObject({ code: 'E_QUOTA_EXCEEDED' });
    const run = await l.beginReconcile();
    await run.add('old', 'uploads/old/a', 650);
    await run.finish();
    expect(await l.usage('old')).toEqual(counted(650, 1));
    expect(await l.remove('old', 'uploads/old/a')).toBe(650);
  });
});
