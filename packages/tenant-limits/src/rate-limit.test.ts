import { describe, expect, it } from 'vitest';
import { parseQuotas, parseSize } from './quota.js';
import { RequestRateLimiter, rateLimitHeaders } from './rate-limit.js';
import { useRedis } from '../test/test-redis.js';

const redis = useRedis();

describe('RequestRateLimiter (real Redis, shared between clients)', () => {
  it('shares one budget per key across processes and says when to come back', async () => {
    const options = { limit: 5, windowSeconds: 2, prefix: 'r1' };
    const one = new RequestRateLimiter(redis.client(), options);
    const two = new RequestRateLimiter(redis.client(), options); // another API process
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await (i % 2 ? two : one).consume('key-a'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions[4]).toMatchObject({ limit: 5, remaining: 0 });
    const refused = rateLimitHeaders(decisions[5]!);
    expect(refused).toMatchObject({ 'ratelimit-limit': '5', 'ratelimit-remaining': '0' });
    expect(Number(refused['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await one.consume('key-b')).allowed).toBe(true); // other keys are unaffected
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await two.consume('key-a')).allowed).toBe(true);
  });
});

describe('quota settings', () => {
  it('parses sizes and per-user overrides, naming bad entries', () => {
    expect(parseSize('10GB')).toBe(10 * 1024 ** 3);
    expect(parseSize('512MiB')).toBe(512 * 1024 ** 2);
    expect(parseSize('1048576')).toBe(1048576);
    expect(() => parseSize('lots')).toThrow(/not a size/);
    const quotaFor = parseQuotas({ bytes: 1, objects: 2 }, 'a=1KB/7, b=2KB');
    expect(quotaFor('a')).toEqual({ bytes: 1024, objects: 7 });
    expect(quotaFor('b')).toEqual({ bytes: 2048, objects: 2 });
    expect(quotaFor('c')).toEqual({ bytes: 1, objects: 2 });
    expect(() => parseQuotas({ bytes: 1, objects: 1 }, 'a=')).toThrow(/"a="/);
  });
});
