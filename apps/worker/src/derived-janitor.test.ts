import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DERIVED_ACCESS_KEY, DERIVED_SOURCES_KEY } from '@monorepo/image-processor';
import { LocalStorageAdapter } from '@monorepo/storage';
import { startRedis } from '@monorepo/dev-servers';
import type { RedisTestServer } from '@monorepo/dev-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trimDerived } from './derived-janitor.js';

let server: RedisTestServer;
let redis: Redis;
let root: string;
let storage: LocalStorageAdapter;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  root = await mkdtemp(path.join(os.tmpdir(), 'derived-janitor-'));
  storage = new LocalStorageAdapter({
    type: 'local',
    baseUrl: 'http://cdn/static',
    localBasePath: root,
  });
});
afterAll(async () => {
  redis.disconnect();
  await server.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('trimDerived on local storage and a real Redis', () => {
  it('removes renders of deleted or replaced sources, then the least recently used down to 90 % of the limit', async () => {
    const source = 'uploads/u1/a/photo.jpg';
    await storage.upload(source, Buffer.from('v1'), 'image/jpeg');
    const v1 = (await storage.stat(source)).etag;
    const kb = Buffer.alloc(1000, 1);
    const render = (n: number) => `derived/${String(n).padStart(64, '0')}.webp`;
    for (let n = 0; n < 10; n++) await storage.upload(render(n), kb, 'image/webp');
    const now = Date.now() - 60_000;
    // 0 and 1 come from the source as it is; 2 from a version since replaced; 3 from a deleted source.
    await redis.hset(
      DERIVED_SOURCES_KEY,
      render(0),
      `${source}\n${v1}`,
      render(1),
      `${source}\n${v1}`,
    );
    await redis.hset(DERIVED_SOURCES_KEY, render(2), `${source}\n"old"`);
    await redis.hset(DERIVED_SOURCES_KEY, render(3), 'uploads/u1/gone.jpg\n"1"');
    // Last use: render 9 oldest … render 0 newest; a member for an object that no longer exists.
    for (let n = 0; n < 10; n++) await redis.zadd(DERIVED_ACCESS_KEY, now - n * 1000, render(n));
    await redis.zadd(DERIVED_ACCESS_KEY, now, 'derived/vanished.webp');

    const report = await trimDerived({ storage, redis, maxBytes: 6000 });
    expect(report).toEqual({ staleRemoved: 2, evicted: 3, bytesBefore: 10_000, bytesAfter: 5000 });
    const left = [];
    for await (const item of storage.listAll('derived/')) left.push(item.key);
    // 2 and 3 were stale; 9, 8, 7 the least recently used; 6, 5, 4, 1, 0 stay (5000 ≤ 5400).
    expect(left.sort()).toEqual([0, 1, 4, 5, 6].map(render));
    expect(await redis.zscore(DERIVED_ACCESS_KEY, 'derived/vanished.webp')).toBeNull();
    expect(await redis.hexists(DERIVED_SOURCES_KEY, render(2))).toBe(0);
    expect(await redis.zcard(DERIVED_ACCESS_KEY)).toBe(5);

    // Under the limit and nothing stale: nothing happens.
    expect(await trimDerived({ storage, redis, maxBytes: 6000 })).toMatchObject({
      staleRemoved: 0,
      evicted: 0,
    });
    // Replacing the source makes its renders unreachable: the next pass removes them.
    await storage.upload(source, Buffer.from('v2'), 'image/jpeg');
    expect(await trimDerived({ storage, redis, maxBytes: 6000 })).toMatchObject({
      staleRemoved: 2,
      evicted: 0,
    });
  });
});
