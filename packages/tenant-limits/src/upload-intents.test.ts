import { scanKeys } from '@monorepo/redis-connection';
import { describe, expect, it } from 'vitest';
import { useRedis } from '../test/test-redis.js';
import { checkedKey, intentIdOfStagingKey, stagingKey } from './staging-keys.js';
import { UploadIntents } from './upload-intents.js';
import { UsageLedger } from './usage-ledger.js';

const redis = useRedis();
const HOUR = 3600_000;

/** An API's intents and a janitor's, on one Redis; the janitor's clock is set ahead by `ahead` ms. */
function setup(options: { quota?: number; maxOpen?: number; slots?: number } = {}) {
  const client = redis.client();
  const prefix = `i${Math.random()}`;
  const clock = { ahead: 0 };
  const ledgerOptions = {
    prefix,
    quotaFor: () => ({ bytes: options.quota ?? 1000, objects: 50 }),
    maxConcurrentUploads: options.slots ?? 4,
  };
  const ledger = new UsageLedger(client, ledgerOptions);
  const janitorLedger = new UsageLedger(redis.client(), {
    ...ledgerOptions,
    clock: () => Date.now() + clock.ahead,
  });
  return {
    ledger,
    clock,
    api: new UploadIntents(ledger, { maxOpenPerUser: options.maxOpen ?? 100 }),
    janitor: new UploadIntents(janitorLedger),
  };
}
const announce = (user: string, size = 100, inMs = HOUR) => ({
  user,
  key: `uploads/${user}/x/a.png`,
  contentType: 'image/png',
  size,
  visibility: 'private' as const,
  expiresAt: Date.now() + inMs,
});

describe('UploadIntents (real Redis)', () => {
  it('reserves the announced size and one object with the open-intent count, atomically under a burst', async () => {
    const { api, ledger } = setup({ quota: 1000, maxOpen: 100 });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => api.create(announce('u', 300))),
    );
    const granted = results.filter((r) => r.status === 'fulfilled');
    expect(granted).toHaveLength(3); // 3 × 300 ≤ 1000 < 4 × 300
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'E_QUOTA_EXCEEDED' });
    expect(await ledger.usage('u')).toMatchObject({
      bytes: 0,
      reservedBytes: 900,
      reservedObjects: 3,
      openIntents: 3,
    });
    // An upload through the API competes for the same quota.
    await expect(ledger.begin('u', 101)).rejects.toMatchObject({ code: 'E_QUOTA_EXCEEDED' });

    const capped = setup({ quota: 1_000_000, maxOpen: 5 });
    const burst = await Promise.allSettled(
      Array.from({ length: 20 }, () => capped.api.create(announce('v', 1))),
    );
    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(
      burst
        .filter((r) => r.status === 'rejected')
        .map((r) => (r as PromiseRejectedResult).reason.code),
    ).toEqual(Array(15).fill('E_TOO_MANY_UPLOADS'));
    expect(await capped.ledger.usage('v')).toMatchObject({ reservedBytes: 5, openIntents: 5 });
  });

  it('compares and spends a token in one step: a wrong token changes nothing, a failed send gives it back', async () => {
    const { api } = setup();
    const { intent, token } = await api.create(announce('t'));
    expect(await api.ownerOf(intent.id)).toBe('t');
    expect(await api.startSending('t', intent.id, `${token}x`)).toEqual({
      ok: false,
      reason: 'bad-token',
    });
    expect(await api.startSending('t', intent.id, 'x')).toEqual({ ok: false, reason: 'bad-token' });
    const first = await api.startSending('t', intent.id, token);
    expect(first.ok).toBe(true);
    // While it is being sent, the token is spent: a second sender is refused.
    expect(await api.startSending('t', intent.id, token)).toEqual({
      ok: false,
      reason: 'bad-token',
    });
    expect(await api.endSending('t', intent.id, (first as { slot: string }).slot, false)).toBe(
      true,
    );
    const retry = await api.startSending('t', intent.id, token);
    expect(retry.ok).toBe(true);
    expect(await api.endSending('t', intent.id, (retry as { slot: string }).slot, true)).toBe(true);
    expect((await api.get('t', intent.id))?.state).toBe('sent');
    expect(await api.startSending('t', intent.id, token)).toEqual({
      ok: false,
      reason: 'bad-token',
    });
  });

  it('takes an upload slot to send, like any upload, and leaves the token unspent when none is free', async () => {
    const { api, ledger } = setup({ slots: 1 });
    const { intent, token } = await api.create(announce('s'));
    const upload = await ledger.begin('s', 1);
    expect(await api.startSending('s', intent.id, token)).toEqual({ ok: false, reason: 'busy' });
    await upload.cancel();
    const sending = await api.startSending('s', intent.id, token);
    expect(sending.ok).toBe(true);
    await expect(ledger.begin('s', 1)).rejects.toMatchObject({ code: 'E_TOO_MANY_UPLOADS' });
  });

  it('turns the reservation into the counted object at completion; a form that stays usable keeps its hold', async () => {
    const { api, janitor, ledger, clock } = setup();
    const local = await api.create(announce('c', 100));
    const slot = (await api.startSending('c', local.intent.id, local.token)) as { slot: string };
    await api.endSending('c', local.intent.id, slot.slot, true);
    const begun = await api.beginCompletion('c', local.intent.id, Date.now() + HOUR);
    expect(begun).toMatchObject({ ok: true, intent: { key: 'uploads/c/x/a.png', size: 100 } });
    const { attempt } = begun as { attempt: string };
    expect(await api.commitCompletion('c', local.intent.id, attempt, 100)).toBe(true);
    expect(await ledger.usage('c')).toMatchObject({
      bytes: 100,
      objects: 1,
      reservedBytes: 0,
      openIntents: 0,
    });
    expect(await api.beginCompletion('c', local.intent.id, 0)).toEqual({
      ok: false,
      reason: 'done',
    });

    // S3: the presigned form works until it expires, so the hold stays until the janitor removes whatever it
    // wrote after that. Such an intent may complete from 'open' (its bytes never passed through the API).
    const expiresAt = Date.now() + HOUR;
    const s3 = await api.create({
      ...announce('c', 200),
      key: 'uploads/c/y/b.png',
      expiresAt,
      formExpiresAt: expiresAt + 60_000,
    });
    const direct = (await api.beginCompletion('c', s3.intent.id, Date.now() + HOUR)) as {
      attempt: string;
    };
    expect(await api.commitCompletion('c', s3.intent.id, direct.attempt, 200)).toBe(true);
    expect(await ledger.usage('c')).toMatchObject({
      bytes: 300,
      reservedBytes: 200,
      openIntents: 0,
    });
    expect(await janitor.due('c')).toEqual([]);
    clock.ahead = 2 * HOUR;
    expect(await janitor.due('c')).toEqual([s3.intent.id]);
    expect(await janitor.expire('c', s3.intent.id)).toEqual({
      state: 'done',
      from: '',
      key: 'uploads/c/y/b.png',
    });
    expect(await janitor.release('c', s3.intent.id)).toBe(true);
    expect(await ledger.usage('c')).toMatchObject({ bytes: 300, objects: 2, reservedBytes: 0 });
  });

  it('lets exactly one of /complete and the janitor win, whatever the clocks say', async () => {
    const { api, janitor, ledger, clock } = setup({ quota: 100_000 });
    clock.ahead = 2 * HOUR; // the janitor believes every intent expired
    const outcomes = { completed: 0, expired: 0 };
    for (let i = 0; i < 20; i++) {
      const { intent } = await api.create({
        ...announce('r', 10),
        key: `uploads/r/${i}/f`,
        formExpiresAt: Date.now() + HOUR,
      });
      // Half the completions would finish before the janitor's idea of now, half after.
      const deadline = Date.now() + (i % 2 ? 3 * HOUR : 50);
      const complete = () => api.beginCompletion('r', intent.id, deadline);
      const expire = () => janitor.expire('r', intent.id);
      const [completion, expiry] =
        i % 4 < 2
          ? await Promise.all([complete(), expire()])
          : await Promise.all([expire(), complete()]).then(([e, c]) => [c, e] as const);
      let committed = false;
      if (completion.ok) {
        committed = await api.commitCompletion('r', intent.id, completion.attempt, 10);
        // Past its deadline (as the janitor sees it) a completion loses to the janitor, never both.
        expect(committed).toBe(i % 2 === 1);
      } else {
        expect(completion.reason).toBe('not-found');
        expect(expiry).toMatchObject({ state: 'open' });
      }
      // The janitor's own pass: whatever it took, it finishes (idempotent); a done intent stays done.
      const late = await janitor.expire('r', intent.id);
      if (committed) expect(late?.state ?? 'done').toBe('done');
      await janitor.release('r', intent.id);
      expect((await api.get('r', intent.id))?.state).toBe(committed ? 'done' : 'expired');
      outcomes[committed ? 'completed' : 'expired'] += 1;
    }
    expect(outcomes.completed + outcomes.expired).toBe(20);
    const usage = await ledger.usage('r');
    expect(usage).toMatchObject({ bytes: outcomes.completed * 10, objects: outcomes.completed });
    expect(usage).toMatchObject({ reservedBytes: 0, reservedObjects: 0, openIntents: 0 });
  });

  it('hands a send that outlives its intent back to its sender, and aborts at the owner’s request', async () => {
    const { api, janitor, ledger, clock } = setup();
    const { intent, token } = await api.create(announce('l', 100, 60_000));
    const sending = (await api.startSending('l', intent.id, token)) as { slot: string };
    clock.ahead = HOUR;
    expect(await janitor.expire('l', intent.id)).toMatchObject({ state: 'sending' });
    expect(await janitor.release('l', intent.id)).toBe(true);
    // The PUT lands late: the intent is gone, so the sender must remove what it stored.
    expect(await api.endSending('l', intent.id, sending.slot, true)).toBe(false);
    expect(await ledger.usage('l')).toMatchObject({ reservedBytes: 0, uploads: 0, openIntents: 0 });

    const other = await api.create(announce('l', 100));
    expect(await api.abort('l', other.intent.id)).toEqual({ state: 'open', form: false });
    expect(await api.abort('l', other.intent.id)).toBeUndefined();
    expect(await api.startSending('l', other.intent.id, other.token)).toEqual({
      ok: false,
      reason: 'bad-token',
    });
    expect(await api.release('l', other.intent.id)).toBe(true);
    expect(await ledger.usage('l')).toMatchObject({ reservedBytes: 0, openIntents: 0 });
  });

  it('names staging keys outside every user folder', () => {
    const id = '0b5e9c1e-7a39-4c1b-9f3e-2d1c0a9b8e7f';
    expect(stagingKey(id)).toBe(`incoming/${id}`);
    expect(intentIdOfStagingKey(stagingKey(id))).toBe(id);
    expect(intentIdOfStagingKey(checkedKey(id))).toBe(id);
    expect(intentIdOfStagingKey(`uploads/u/${id}`)).toBeUndefined();
  });

  it('drains direct uploads of the old key layout', async () => {
    const { api, ledger } = setup();
    const p = ledger.prefix;
    await ledger.redis.set(`${p}:intent:old-1`, JSON.stringify({ key: 'uploads/u/old-1/a.png' }));
    await ledger.redis.set(`${p}:intent-token:old-1`, 'tok');
    await ledger.redis.zadd(`${p}:intents:expiry`, Date.now() + HOUR, 'old-1', Date.now(), 'old-2');
    await ledger.redis.zadd(`${p}:intents:open:u`, Date.now() + HOUR, 'old-1');
    expect(await api.drainLegacy()).toEqual(['uploads/u/old-1/a.png']);
    expect(await scanKeys(ledger.redis, `${p}:intent*`)).toEqual([]);
  });
});
