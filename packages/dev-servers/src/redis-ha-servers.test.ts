import { describe, expect, it } from 'vitest';
import { redisCli } from './redis-node.js';
import { startRedisCluster } from './redis-cluster-server.js';
import { startRedisSentinel } from './redis-sentinel-server.js';

describe('startRedisSentinel', () => {
  it('runs a master, a replica and three sentinels that fail over when the master dies', async () => {
    // down-after 3 s, not the harness's 1 s: this test runs beside suites that load both cores (chaos, Redis HA),
    // where sentinels missing the new master's pings for 1 s started failovers back and forth until the timeout.
    const group = await startRedisSentinel({ downAfterMs: 3000 });
    try {
      expect(group.sentinels.split(',')).toHaveLength(3);
      const master = await group.master();
      expect(master).toBe(group.nodes[0]);
      expect(await redisCli(master.port, 'CONFIG', 'GET', 'min-replicas-to-write')).toContain('1');
      expect((await redisCli(master.port, 'SET', 'k', 'v')).trim()).toBe('OK');
      // WAIT answers as soon as the replica acknowledges; the bound is for a starved machine.
      expect((await redisCli(master.port, 'WAIT', '1', '5000')).trim()).toBe('1');
      const started = Date.now();
      await master.stop('SIGKILL');
      const promoted = await group.waitForFailover(master);
      expect(promoted).toBe(group.nodes[1]);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect((await redisCli(promoted.port, 'GET', 'k')).trim()).toBe('v');
      // The old master comes back (as a supervisor would start it) and Sentinel takes it into the group: a
      // replica of the new master, or (should a starved machine miss the new master's pings for a second,
      // down-after-milliseconds) its master after a second failover. Either way one master, the other node
      // following it, nothing lost.
      await master.start();
      await group.waitForReplicas(1);
      const head = await group.master();
      const other = group.nodes.find((node) => node !== head)!;
      expect(await redisCli(other.port, 'INFO', 'replication')).toMatch(
        new RegExp(`role:slave[\\s\\S]*master_port:${head.port}`),
      );
      expect((await redisCli(head.port, 'GET', 'k')).trim()).toBe('v');
    } finally {
      await group.dispose();
    }
    expect(group.nodes.every((node) => !node.running)).toBe(true);
  }, 120_000);
});

describe('startRedisCluster', () => {
  it('runs three masters with a replica each, all slots covered', async () => {
    const cluster = await startRedisCluster();
    try {
      expect(cluster.nodesList.split(',')).toHaveLength(6);
      const info = await redisCli(cluster.nodes[0]!.port, 'CLUSTER', 'INFO');
      expect(info).toContain('cluster_slots_assigned:16384');
      expect(info).toContain('cluster_size:3');
      const roles = await redisCli(cluster.nodes[0]!.port, 'CLUSTER', 'NODES');
      expect(roles.match(/master/g)).toHaveLength(3);
      expect(roles.match(/slave/g)).toHaveLength(3);
    } finally {
      await cluster.dispose();
    }
    expect(cluster.nodes.every((node) => !node.running)).toBe(true);
  }, 60_000);
});
