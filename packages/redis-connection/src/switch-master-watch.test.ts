import { startRedis } from '@monorepo/dev-servers';
import type { RedisTestServer } from '@monorepo/dev-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SwitchMasterWatch } from './switch-master-watch.js';

// A plain Redis stands in for a sentinel (it carries `+switch-master` like any channel), another for the master.
let sentinel: RedisTestServer;
let master: RedisTestServer;
beforeAll(async () => {
  [sentinel, master] = await Promise.all([startRedis(), startRedis()]);
});
afterAll(async () => Promise.all([sentinel?.dispose(), master?.dispose()]));

const announce = async (name: string) => {
  const publisher = new Redis(sentinel.port);
  await publisher.publish('+switch-master', `${name} 127.0.0.1 1 127.0.0.1 2`);
  publisher.disconnect();
};

it('reconnects a connected client when its master switches, and leaves one not connected alone', async () => {
  const watch = new SwitchMasterWatch([{ host: '127.0.0.1', port: sentinel.port }], 'main', {
    tls: false,
  });
  const connected = new Redis(master.port);
  const idle = new Redis(master.port, { lazyConnect: true, retryStrategy: () => 60_000 });
  let readies = 0;
  connected.on('ready', () => (readies += 1));
  await new Promise((resolve) => connected.once('ready', resolve));
  watch.watch(connected);
  watch.watch(idle);
  // Once the watch listens, a switch of another master changes nothing.
  const subscribed = new Redis(sentinel.port);
  await expect
    .poll(async () => Number((await subscribed.pubsub('NUMSUB', '+switch-master'))[1]))
    .toBe(1);
  subscribed.disconnect();
  await announce('other');
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(readies).toBe(1);

  await announce('main');
  await expect.poll(() => readies).toBe(2);
  expect(await connected.set('after-switch', '1')).toBe('OK');
  // Never connected (status "wait"): untouched, not ended.
  expect(idle.status).toBe('wait');

  watch.close();
  connected.disconnect();
  idle.disconnect();
});
