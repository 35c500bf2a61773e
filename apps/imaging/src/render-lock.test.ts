import { startRedis } from '@monorepo/dev-servers';
import type { RedisTestServer } from '@monorepo/dev-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RenderLock } from './render-lock.js';

let server: RedisTestServer;
let clients: Redis[];
let lock: RenderLock;
beforeAll(async () => {
  server = await startRedis();
  clients = [new Redis(server.port), new Redis(server.port)];
  lock = new RenderLock(clients[0]!, clients[1]!, {
    lockTtlMs: 10_000,
    waitTimeoutMs: 5_000,
    failureTtlMs: 0,
  });
});
afterAll(async () => {
  for (const client of clients ?? []) client.disconnect();
  await server?.dispose();
});

it('renders once for concurrent requests, and never again for one that missed just before a render was stored', async () => {
  let stored: string | undefined;
  let renders = 0;
  const find = async () => stored;
  const render = async () => {
    renders += 1;
    await new Promise((resolve) => setTimeout(resolve, 200));
    stored = 'rendered';
    return { value: 'rendered' };
  };
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => lock.once('h1', find, render)),
  );
  expect(renders).toBe(1);
  expect(answers.filter((a) => a.coalesced)).toHaveLength(19);
  expect(answers.every((a) => a.value === 'rendered')).toBe(true);
  // A request whose own look-up missed, and that claims after that render was stored and released: it finds the
  // stored result instead of rendering again (the lock is free, so nothing else would stop it).
  stored = undefined;
  const late = lock.once('h2', async () => stored, render);
  stored = 'rendered';
  expect(await late).toEqual({ value: 'rendered', coalesced: false });
  expect(renders).toBe(1);
});
