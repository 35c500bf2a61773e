import { describe, expect, it } from 'vitest';
import { useRedis } from './test-redis.js';
import { UploadIntents } from './upload-intents.js';

const redis = useRedis();
const intentFor = (user: string, inMs = 60_000) => ({
  user,
  key: `uploads/${user}/x/a.png`,
  contentType: 'image/png',
  size: 10,
  visibility: 'private' as const,
  expiresAt: Date.now() + inMs,
});

describe('UploadIntents', () => {
  it('spends a token once, and only the right one', async () => {
    const intents = new UploadIntents(redis.client(), { prefix: 't1' });
    const { intent, token } = (await intents.create(intentFor('u')))!;
    expect(await intents.get(intent.id)).toEqual(intent);
    expect(await intents.spendToken(intent.id, `${token}x`)).toBe(false);
    expect(await intents.spendToken(intent.id, token)).toBe(false); // a wrong guess burns it
    const second = (await intents.create(intentFor('u')))!;
    expect(await intents.spendToken(second.intent.id, second.token)).toBe(true);
    expect(await intents.spendToken(second.intent.id, second.token)).toBe(false);
  });

  it('caps open intents per user, and hands each expired one to exactly one janitor', async () => {
    const a = new UploadIntents(redis.client(), { prefix: 't2', maxOpenPerUser: 2 });
    const b = new UploadIntents(redis.client(), { prefix: 't2', maxOpenPerUser: 2 });
    const first = (await a.create(intentFor('v', 50)))!;
    expect(await a.create(intentFor('v'))).toBeDefined();
    expect(await a.create(intentFor('v'))).toBeUndefined();
    expect(await a.create(intentFor('w'))).toBeDefined(); // another user is not affected
    await new Promise((resolve) => setTimeout(resolve, 80));
    const [takenA, takenB] = await Promise.all([a.takeExpired(), b.takeExpired()]);
    expect([...takenA, ...takenB].map((i) => i.id)).toEqual([first.intent.id]);
    expect(await a.get(first.intent.id)).toBeUndefined();
    expect(await a.create(intentFor('v'))).toBeDefined(); // the expired one no longer counts
  });
});
