import { startRedis } from '@monorepo/dev-servers';
import type { RedisTestServer } from '@monorepo/dev-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

/** A private redis-server for this test file, and clients on it that are closed afterwards. */
export function useRedis(): { client: () => Redis } {
  let server: RedisTestServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.dispose();
  });
  return {
    client: () => {
      const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
      clients.push(client);
      return client;
    },
  };
}
