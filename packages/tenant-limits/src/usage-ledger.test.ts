import { describe, expect, it } from 'vitest';
import { parseQuotas } from './quota.js';
import { useRedis } from './test-redis.js';
import { LimitExceededError, UsageLedger } from './usage-ledger.js';

const redis = useRedis();
const ledger = (extra: Partial<ConstructorParameters<typeof UsageLedger>[1]> = {}) =>
  new UsageLedger(redis.client(), {
    prefix: `t${Math.random()}`,
    quotaFor: parseQuotas({ bytes: 1000, objects: 3 }, 'big=1MB/100'),
    ...extra,
  });

describe('UsageLedger (real Redis)', () => {
  it('refuses an upload over the quota before anything is stored, and counts what is committed', async () => {
    const l = ledger();
    const a = await l.begin('u', 600);
    await a.commit(600);
    expect(await l.usage('u')).toEqual({ bytes: 600, objects: 1, uploads: 0 });
    const error = await l.begin('u', 500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toMatchObject({ code: 'E_QUOTA_EXCEEDED' });
    expect(await l.usage('u')).toEqual({ bytes: 600, objects: 1, uploads: 0 }); // nothing reserved
    const b = await l.begin('u', 100);
    await b.cancel();
    await b.cancel(); // settles once
    expect(await l.usage('u')).toEqual({ bytes: 600, objects: 1, uploads: 0 });
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
    await r.commit(950);
    expect((await l.usage('u')).bytes).toBe(950);
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
    for (const r of won)
      await (r as PromiseFulfilledResult<Awaited<ReturnType<typeof l.begin>>>).value.commit(1);
    const third = await l.begin('c', 1);
    await third.commit(1);
    await expect(l.begin('c', 1)).rejects.toMatchObject({ code: 'E_QUOTA_EXCEEDED' }); // 3 objects max
    await l.removed('c', 1);
    await (await l.begin('c', 1)).commit(1);
  });

  it('lets leases of crashed uploads expire, and reconciles only while nothing is in flight', async () => {
    const l = ledger({ leaseMs: 200, maxConcurrentUploads: 1 });
    await l.begin('z', 400); // never settled: a crashed API process
    await expect(l.begin('z', 1)).rejects.toMatchObject({ code: 'E_TOO_MANY_UPLOADS' });
    expect(await l.reconcile('z', { bytes: 0, objects: 0 })).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await l.reconcile('z', { bytes: 123, objects: 2 })).toBe(true);
    expect(await l.usage('z')).toEqual({ bytes: 123, objects: 2, uploads: 0 });
  });
});
