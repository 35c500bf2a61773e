import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { redisCli, startRedisNode, waitUntil } from './redis-node.js';
import type { RedisNode } from './redis-node.js';

/** A Redis Sentinel group for one test run: data nodes (a master and its replica) and three sentinels. */
export interface RedisSentinelGroup {
  /** The master name the sentinels monitor (`REDIS_SENTINEL_NAME`). */
  readonly name: string;
  /** `host:port,…` of the sentinels (`REDIS_SENTINELS`). */
  readonly sentinels: string;
  /** The data nodes (index 0 started as master, 1 as its replica). */
  readonly nodes: readonly RedisNode[];
  readonly sentinelNodes: readonly RedisNode[];
  /** The node the sentinels name as master now. */
  master(): Promise<RedisNode>;
  /**
   * Waits until the sentinels name a master other than `previous` and that node answers as master; returns it.
   */
  waitForFailover(previous: RedisNode, options?: { timeoutMs?: number }): Promise<RedisNode>;
  /** Waits until the master has `n` connected replicas. */
  waitForReplicas(n?: number, timeoutMs?: number): Promise<void>;
  /** Stops every process and removes the directory. */
  dispose(): Promise<void>;
}

/**
 * Starts, from Debian's `redis-server` (sentinels as `redis-server --sentinel`), on free loopback ports: one
 * master, one replica (or `replicas`) and three sentinels (quorum 2, `down-after-milliseconds` 1000). Every data node has
 * `min-replicas-to-write 1`: a master that lost its replica refuses writes instead of accepting writes a failover
 * would drop. A node killed by a test is started again by the test, as a supervisor would (Sentinel then makes it a
 * replica of the new master).
 */
export async function startRedisSentinel(
  options: {
    bin?: string;
    name?: string;
    downAfterMs?: number;
    /**
     * Replicas of the master (default 1). With 1, the promoted replica has none left and (by
     * `min-replicas-to-write 1`) refuses writes until the old master rejoins as its replica; with 2 it keeps one.
     */
    replicas?: number;
  } = {},
): Promise<RedisSentinelGroup> {
  const name = options.name ?? 'storage';
  const root = await mkdtemp(path.join(os.tmpdir(), 'redis-sentinel-'));
  const data = [
    'save ""',
    'appendonly yes',
    'appendfsync everysec',
    'maxmemory-policy noeviction',
    'min-replicas-to-write 1',
    'min-replicas-max-lag 10',
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
  ];
  const masterPort = await freePort();
  const nodes: RedisNode[] = [];
  const sentinelNodes: RedisNode[] = [];
  try {
    nodes.push(
      await startRedisNode({
        port: masterPort,
        dir: path.join(root, 'node-0'),
        config: data,
        bin: options.bin,
      }),
    );
    for (let i = 1; i <= (options.replicas ?? 1); i++)
      nodes.push(
        await startRedisNode({
          port: await freePort(),
          dir: path.join(root, `node-${i}`),
          config: [...data, `replicaof 127.0.0.1 ${masterPort}`],
          bin: options.bin,
        }),
      );
    for (let i = 0; i < 3; i++)
      sentinelNodes.push(
        await startRedisNode({
          port: await freePort(),
          dir: path.join(root, `sentinel-${i}`),
          sentinel: true,
          bin: options.bin,
          config: [
            `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
            `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
            // A failover attempt that fails (two sentinels splitting the vote, which a loaded machine makes
            // likely) is retried only after twice this: 10 s here made some promotions take 22 s.
            `sentinel failover-timeout ${name} 3000`,
            `sentinel parallel-syncs ${name} 1`,
          ],
        }),
      );
  } catch (error) {
    await Promise.all([...nodes, ...sentinelNodes].map((node) => node.stop('SIGKILL')));
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  /** The master's port as one sentinel names it (0 when it names none or does not answer). */
  const masterPortOf = (sentinel: RedisNode): Promise<number> =>
    redisCli(sentinel.port, 'SENTINEL', 'get-master-addr-by-name', name)
      .then((out) => Number(out.trim().split('\n')[1]) || 0)
      .catch(() => 0);
  const askSentinels = async (): Promise<number | undefined> => {
    for (const sentinel of sentinelNodes) {
      if (!sentinel.running) continue;
      const port = await masterPortOf(sentinel);
      if (port) return port;
    }
    return undefined;
  };
  const group: RedisSentinelGroup = {
    name,
    sentinels: sentinelNodes.map((node) => node.address).join(','),
    nodes,
    sentinelNodes,
    async master() {
      const port = await askSentinels();
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error('the sentinels name no master');
      return node;
    },
    async waitForReplicas(n = 1, timeoutMs = 30_000) {
      await waitUntil(
        async () => {
          const master = await group.master();
          const info = await redisCli(master.port, 'INFO', 'replication');
          return (
            info.includes('role:master') &&
            Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0) >= n &&
            // Every replica is online (past its initial sync).
            !/slave\d+:.*state=(wait_bgsave|send_bulk)/.test(info)
          );
        },
        `no master with ${n} replica(s)`,
        timeoutMs,
      );
    },
    async waitForFailover(previous, { timeoutMs = 30_000 } = {}) {
      let found: RedisNode | undefined;
      await waitUntil(
        async () => {
          // Done when every running sentinel names the new master: the new configuration has spread, so an old
          // master started again now is made a replica (with one sentinel's word only, a busy machine once saw
          // the promoted replica follow the old master again).
          const ports = await Promise.all(
            sentinelNodes.filter((sentinel) => sentinel.running).map(masterPortOf),
          );
          const port = ports[0];
          if (!port || port === previous.port || ports.some((other) => other !== port))
            return false;
          const info = await redisCli(port, 'INFO', 'replication');
          if (!info.includes('role:master')) return false;
          found = nodes.find((n) => n.port === port);
          return found !== undefined;
        },
        'no failover',
        timeoutMs,
      );
      return found!;
    },
    async dispose() {
      await Promise.all(sentinelNodes.map((node) => node.stop()));
      await Promise.all(nodes.map((node) => node.stop()));
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await group.waitForReplicas(options.replicas ?? 1);
    // Every sentinel knows the master and the other sentinels before anyone relies on a failover.
    await waitUntil(async () => {
      for (const sentinel of sentinelNodes) {
        const out = await redisCli(sentinel.port, 'SENTINEL', 'master', name);
        const fields = out.trim().split('\n');
        const value = (key: string) => fields[fields.indexOf(key) + 1];
        if (
          Number(value('num-other-sentinels')) < 2 ||
          Number(value('num-slaves')) < (options.replicas ?? 1)
        )
          return false;
      }
      return true;
    }, 'sentinels did not discover each other');
  } catch (error) {
    await group.dispose();
    throw error;
  }
  return group;
}
