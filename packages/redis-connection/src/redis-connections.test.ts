import { startRedis, startRedisCluster, startRedisSentinel } from '@monorepo/dev-servers';
import type { RedisClusterGroup, RedisSentinelGroup, RedisTestServer } from '@monorepo/dev-servers';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisConfigFromEnv } from './redis-config.js';
import { RedisConnections } from './redis-connections.js';
import { ReplicationTimeoutError, isRedisUnavailable } from './redis-unavailable.js';

describe('RedisConnections on one server', () => {
  let server: RedisTestServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => server.dispose());

  it('makes clients, scans, does not wait for replicas, closes everything', async () => {
    const connections = new RedisConnections(redisConfigFromEnv({ REDIS_URL: server.url }));
    expect(connections.bullPrefix).toBe('bull');
    const client = connections.client();
    await client.set('scan:a', '1');
    await client.set('scan:b', '1');
    expect((await connections.scanKeys(client, 'scan:*')).sort()).toEqual(['scan:a', 'scan:b']);
    await connections.replicated(client);
    await connections.close();
    expect(client.status).toBe('end');
  });

  it('classes a refused connection as unavailable', async () => {
    const connections = new RedisConnections(
      redisConfigFromEnv({ REDIS_URL: 'redis://127.0.0.1:1' }),
    );
    const client = connections.client({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const error = await client.get('x').catch((e: unknown) => e);
    expect(isRedisUnavailable(error)).toBe(true);
    expect(isRedisUnavailable(new Error('ERR unknown command'))).toBe(false);
    await connections.close();
  });
});

describe('RedisConnections on a Cluster', () => {
  let cluster: RedisClusterGroup;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => cluster?.dispose());

  it('uses the hash-tagged BullMQ prefix and scans every master', async () => {
    const connections = new RedisConnections(
      redisConfigFromEnv({ REDIS_CLUSTER_NODES: cluster.nodesList }),
    );
    expect(connections.bullPrefix).toBe('{bull}');
    const client = connections.client();
    expect(client).toBeInstanceOf(Cluster);
    const keys = Array.from({ length: 50 }, (_, i) => `spread:${i}`);
    for (const key of keys) await client.set(key, '1');
    // The keys landed on more than one master, and the scan found all of them.
    const perMaster = await Promise.all(
      (client as Cluster).nodes('master').map((node) => node.dbsize()),
    );
    expect(perMaster.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect((await connections.scanKeys(client, 'spread:*')).sort()).toEqual([...keys].sort());
    await connections.replicated(client);
    await connections.close();
  });
});

describe('RedisConnections under Sentinel', () => {
  let group: RedisSentinelGroup;
  beforeAll(async () => {
    group = await startRedisSentinel();
  }, 60_000);
  afterAll(async () => group?.dispose());

  it('finds the master through the sentinels, waits for the replica, and follows a failover', async () => {
    const connections = new RedisConnections(
      redisConfigFromEnv({ REDIS_SENTINELS: group.sentinels, REDIS_SENTINEL_NAME: group.name }),
    );
    const client = connections.client({ maxRetriesPerRequest: null });
    await client.set('kept', 'yes');
    await connections.replicated(client);
    const master = await group.master();
    await master.stop('SIGKILL');
    const started = Date.now();
    // The client keeps retrying (no cap) and lands on the promoted replica, which holds the replicated write.
    expect(await client.get('kept')).toBe('yes');
    await group.waitForFailover(master);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The new master refuses writes (min-replicas-to-write 1) until the old one, started again as a supervisor
    // would, rejoins as its replica.
    expect(isRedisUnavailable(await client.set('early', 'x').catch((e: unknown) => e))).toBe(true);
    await master.start();
    await group.waitForReplicas(1);
    await client.set('after', 'yes');
    await connections.replicated(client);
    expect(await client.get('after')).toBe('yes');
    await connections.close();
  }, 60_000);

  it('refuses to call a write replicated when no replica acknowledges it', async () => {
    await group.waitForReplicas(1);
    const connections = new RedisConnections(
      redisConfigFromEnv({
        REDIS_SENTINELS: group.sentinels,
        REDIS_SENTINEL_NAME: group.name,
        REDIS_WAIT_REPLICAS: '2',
        REDIS_WAIT_TIMEOUT_MS: '100',
      }),
    );
    const client = connections.client();
    await client.set('x', '1');
    const error = await connections.replicated(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicationTimeoutError);
    expect(isRedisUnavailable(error)).toBe(true);
    await connections.close();
  });
});
