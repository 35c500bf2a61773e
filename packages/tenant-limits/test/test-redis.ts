import { startRedis, startRedisCluster, startRedisSentinel } from '@monorepo/dev-servers';
import { RedisConnections, redisConfigFromEnv } from '@monorepo/redis-connection';
import type { RedisClient } from '@monorepo/redis-connection';
import { afterAll, beforeAll } from 'vitest';

/** Which Redis the suites run on: `TEST_REDIS_MODE` = `single` (default), `cluster` or `sentinel`. */
export const testRedisMode = (process.env.TEST_REDIS_MODE ?? 'single') as
  'single' | 'cluster' | 'sentinel';

/**
 * A private Redis for this test file (one server, a 3+3 Cluster, or a Sentinel group, by `TEST_REDIS_MODE`), and
 * clients on it that are closed afterwards.
 */
export function useRedis(): { client: () => RedisClient } {
  let dispose: (() => Promise<void>) | undefined;
  let connections: RedisConnections;
  beforeAll(async () => {
    if (testRedisMode === 'cluster') {
      const cluster = await startRedisCluster();
      dispose = cluster.dispose;
      connections = new RedisConnections(
        redisConfigFromEnv({ REDIS_CLUSTER_NODES: cluster.nodesList }),
      );
    } else if (testRedisMode === 'sentinel') {
      const group = await startRedisSentinel();
      dispose = group.dispose;
      connections = new RedisConnections(
        redisConfigFromEnv({ REDIS_SENTINELS: group.sentinels, REDIS_SENTINEL_NAME: group.name }),
      );
    } else {
      const server = await startRedis();
      dispose = server.dispose;
      connections = new RedisConnections(redisConfigFromEnv({ REDIS_URL: server.url }));
    }
  }, 60_000);
  afterAll(async () => {
    await connections?.close();
    await dispose?.();
  });
  return { client: () => connections.client({ maxRetriesPerRequest: 1 }) };
}
