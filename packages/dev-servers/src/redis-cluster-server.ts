import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { redisCli, startRedisNode, waitUntil } from './redis-node.js';
import type { RedisNode } from './redis-node.js';

/** A Redis Cluster for one test run. */
export interface RedisClusterGroup {
  /** `host:port,…` of every node (`REDIS_CLUSTER_NODES`). */
  readonly nodesList: string;
  readonly nodes: readonly RedisNode[];
  /** Waits until every running node reports `cluster_state:ok`. */
  waitForOk(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes the directory. */
  dispose(): Promise<void>;
}

/**
 * Starts a Redis Cluster of `masters` masters with one replica each (default 3 + 3) from Debian's `redis-server`
 * on free loopback ports, joined by `redis-cli --cluster create`, and waits until every node reports the cluster ok.
 */
export async function startRedisCluster(
  options: { masters?: number; bin?: string; nodeTimeoutMs?: number } = {},
): Promise<RedisClusterGroup> {
  const count = (options.masters ?? 3) * 2;
  const root = await mkdtemp(path.join(os.tmpdir(), 'redis-cluster-'));
  const nodes: RedisNode[] = [];
  const dispose = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await rm(root, { recursive: true, force: true });
  };
  const waitForOk = async (timeoutMs = 30_000) => {
    await waitUntil(
      async () => {
        for (const node of nodes) {
          if (!node.running) continue;
          if (!(await redisCli(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'))
            return false;
        }
        return true;
      },
      'the cluster is not ok',
      timeoutMs,
    );
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      // The bus port too (by default port + 10000: a port nobody chose, which another server may hold).
      const busPort = await freePort();
      nodes.push(
        await startRedisNode({
          port,
          dir: path.join(root, `node-${i}`),
          bin: options.bin,
          config: [
            'cluster-enabled yes',
            `cluster-port ${busPort}`,
            'cluster-config-file nodes.conf',
            `cluster-node-timeout ${options.nodeTimeoutMs ?? 2000}`,
            'save ""',
            'appendonly no',
            'maxmemory-policy noeviction',
          ],
        }),
      );
    }
    await redisCli(
      nodes[0]!.port,
      '--cluster',
      'create',
      ...nodes.map((node) => node.address),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    );
    await waitForOk();
    // Every node knows every other, and its role, before clients ask for the slot map.
    await waitUntil(async () => {
      for (const node of nodes) {
        const known = (await redisCli(node.port, 'CLUSTER', 'NODES')).trim().split('\n');
        if (known.length < count || known.some((line) => line.includes('handshake'))) return false;
        // And knows which are replicas (roles spread by gossip a moment after the create).
        if (known.filter((line) => line.includes('slave')).length < count / 2) return false;
      }
      return true;
    }, 'the cluster nodes did not meet');
  } catch (error) {
    await dispose();
    throw error;
  }
  return { nodesList: nodes.map((node) => node.address).join(','), nodes, waitForOk, dispose };
}
