import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisConfig } from './redis-config.js';
import { ReplicationTimeoutError } from './redis-unavailable.js';
import { SwitchMasterWatch } from './switch-master-watch.js';

/** A client of whichever Redis is configured: one server or a Sentinel master (`Redis`), or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** A failover demotes the master: commands it refuses are sent again to the new one (after a reconnect). */
function reconnectOnReadonly(error: Error): 2 | false {
  return error.message.startsWith('READONLY') ? 2 : false;
}

/** Every key matching `match` (a `SCAN` pattern): on a Cluster, the union of a `SCAN` of every master. */
export async function scanKeys(client: RedisClient, match: string, count = 500): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const found = new Set<string>();
  for (const node of nodes)
    for await (const keys of node.scanStream({ match, count }))
      for (const key of keys as string[]) found.add(key);
  return [...found];
}

/**
 * Creates the Redis clients of one process from one {@link RedisConfig}, through ioredis's own Sentinel and
 * Cluster support, and closes them all at once. Each user takes its own client with the options it needs (fail
 * fast for request paths, wait through outages for workers).
 */
export class RedisConnections {
  readonly config: RedisConfig;
  readonly #clients = new Set<RedisClient>();
  #switchMasterWatch: SwitchMasterWatch | undefined;

  constructor(config: RedisConfig) {
    this.config = config;
  }

  /** Whether Redis is a Cluster (keys one command or script touches must share a hash slot). */
  get isCluster(): boolean {
    return this.config.mode === 'cluster';
  }

  /**
   * BullMQ's key prefix: `bull`, or `{bull}` on a Cluster, so that every key of a queue lives in one hash slot
   * (as BullMQ's documentation requires for Cluster).
   */
  get bullPrefix(): string {
    return this.isCluster ? '{bull}' : 'bull';
  }

  /** A new client with `options` (e.g. `maxRetriesPerRequest`, `enableOfflineQueue`); closed by {@link close}. */
  client(options: RedisOptions = {}): RedisClient {
    const config = this.config;
    let client: RedisClient;
    if (config.mode === 'single') {
      client = new Redis(config.url, options);
    } else {
      const auth: RedisOptions = {
        ...(config.username ? { username: config.username } : {}),
        ...(config.password ? { password: config.password } : {}),
        ...(config.tls ? { tls: {} } : {}),
      };
      if (config.mode === 'sentinel') {
        client = new Redis({
          sentinels: config.sentinels,
          name: config.name,
          db: config.db,
          ...auth,
          ...(config.sentinelUsername ? { sentinelUsername: config.sentinelUsername } : {}),
          ...(config.sentinelPassword ? { sentinelPassword: config.sentinelPassword } : {}),
          ...(config.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
          reconnectOnError: reconnectOnReadonly,
          ...options,
        });
        // Reconnect as soon as the sentinels announce a new master, instead of at the next failed command.
        this.#switchMasterWatch ??= new SwitchMasterWatch(config.sentinels, config.name, {
          ...(config.sentinelUsername ? { username: config.sentinelUsername } : {}),
          ...(config.sentinelPassword ? { password: config.sentinelPassword } : {}),
          tls: config.tls,
        });
        this.#switchMasterWatch.watch(client);
      } else {
        const { enableOfflineQueue, ...redisOptions } = options;
        const clusterOptions: ClusterOptions = {
          redisOptions: { ...auth, ...redisOptions },
          ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
          slotsRefreshTimeout: 2000,
          // A node that failed over: retry the command against the refreshed slot map.
          retryDelayOnFailover: 200,
          retryDelayOnClusterDown: 200,
          retryDelayOnTryAgain: 200,
        };
        client = new Cluster(config.nodes, clusterOptions);
      }
    }
    this.#clients.add(client);
    client.once('end', () => this.#clients.delete(client));
    return client;
  }

  /** Every key matching `match` (a `SCAN` pattern); on a Cluster, over every master. */
  scanKeys(client: RedisClient, match: string, count = 500): Promise<string[]> {
    return scanKeys(client, match, count);
  }

  /**
   * Waits until the writes `client` sent so far reached `config.waitReplicas` replicas (`WAIT`), so that a
   * failover keeps them; does nothing when no replica is required (or on a Cluster, whose writes go to several
   * masters).
   *
   * @throws {ReplicationTimeoutError} when fewer replicas acknowledged within `config.waitTimeoutMs`.
   */
  async replicated(client: RedisClient): Promise<void> {
    const { waitReplicas, waitTimeoutMs } = this.config;
    if (waitReplicas === 0 || client instanceof Cluster) return;
    const acknowledged = Number(await client.wait(waitReplicas, waitTimeoutMs));
    if (acknowledged < waitReplicas) throw new ReplicationTimeoutError(acknowledged, waitReplicas);
  }

  /** Disconnects every client made here that is still open. */
  async close(): Promise<void> {
    this.#switchMasterWatch?.close();
    this.#switchMasterWatch = undefined;
    const open = [...this.#clients];
    this.#clients.clear();
    await Promise.all(
      open.map(async (client) => {
        const ended = new Promise((resolve) => client.once('end', resolve));
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
        else client.disconnect();
        if (client.status !== 'end') await ended;
      }),
    );
  }
}
