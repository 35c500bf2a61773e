/** Every environment variable {@link redisConfigFromEnv} reads. */
export const REDIS_ENV_VARS = [
  'REDIS_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_CLUSTER_NODES',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_USERNAME',
  'REDIS_SENTINEL_PASSWORD',
  'REDIS_TLS',
  'REDIS_DB',
  'REDIS_WAIT_REPLICAS',
  'REDIS_WAIT_TIMEOUT_MS',
] as const;

/** A `host:port` of a sentinel or a cluster node. */
export interface RedisAddress {
  host: string;
  port: number;
}

/** Credentials and TLS shared by every mode. */
interface RedisAuth {
  username?: string;
  password?: string;
  /** TLS to Redis (`rediss://`, or `REDIS_TLS=true`). */
  tls: boolean;
}

/**
 * Where Redis is: one server, a Sentinel-monitored master, or a Cluster. Exactly one of `REDIS_URL`,
 * `REDIS_SENTINELS` and `REDIS_CLUSTER_NODES` is set.
 */
export type RedisConfig =
  | ({ mode: 'single'; url: string } & RedisCommon)
  | ({
      mode: 'sentinel';
      sentinels: RedisAddress[];
      /** The master name the sentinels monitor. */
      name: string;
      sentinelUsername?: string;
      sentinelPassword?: string;
      db: number;
    } & RedisAuth &
      RedisCommon)
  | ({ mode: 'cluster'; nodes: RedisAddress[] } & RedisAuth & RedisCommon);

/** What every mode has. */
interface RedisCommon {
  /**
   * Replicas that must acknowledge a write the platform answers for (a queued job) before it is acknowledged
   * (`WAIT`): 1 by default under Sentinel, 0 (no waiting) otherwise. `REDIS_WAIT_REPLICAS`.
   */
  waitReplicas: number;
  /** How long that acknowledgement may take (ms) before the write counts as failed. `REDIS_WAIT_TIMEOUT_MS`. */
  waitTimeoutMs: number;
}

/** A Redis configuration that cannot be used; `problems` names each variable at fault. */
export class RedisConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid Redis configuration: ${problems.join('; ')}`);
    this.name = 'RedisConfigError';
    this.problems = problems;
  }
}

function addresses(name: string, raw: string, problems: string[]): RedisAddress[] {
  const list: RedisAddress[] = [];
  for (const item of raw.split(',').map((part) => part.trim())) {
    const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(item);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      problems.push(`${name}: "${item}" is not host:port`);
      continue;
    }
    list.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return list;
}

function count(name: string, raw: string | undefined, fallback: number, problems: string[]) {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) {
    problems.push(`${name}: must be a whole number`);
    return fallback;
  }
  return Number(raw);
}

/**
 * Reads the Redis configuration from the environment:
 * - `REDIS_URL` (`redis://` or `rediss://`): one server;
 * - `REDIS_SENTINELS=host:port,…` with `REDIS_SENTINEL_NAME`: the master those sentinels monitor (optional
 *   `REDIS_USERNAME`, `REDIS_PASSWORD`, `REDIS_SENTINEL_USERNAME`, `REDIS_SENTINEL_PASSWORD`, `REDIS_TLS=true`,
 *   `REDIS_DB`);
 * - `REDIS_CLUSTER_NODES=host:port,…`: a Redis Cluster (optional `REDIS_USERNAME`, `REDIS_PASSWORD`, `REDIS_TLS`).
 *
 * @throws {RedisConfigError} when none or more than one is set, or a value is malformed.
 */
export function redisConfigFromEnv(env: Record<string, string | undefined>): RedisConfig {
  const problems: string[] = [];
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const chosen = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].filter(set);
  if (chosen.length !== 1)
    throw new RedisConfigError([
      chosen.length === 0
        ? 'REDIS_URL: required (or REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES)'
        : `${chosen.join(', ')}: set only one`,
    ]);
  const tlsRaw = env.REDIS_TLS?.trim().toLowerCase();
  if (tlsRaw && !['true', 'false', '1', '0'].includes(tlsRaw))
    problems.push('REDIS_TLS: must be true or false');
  const tls = tlsRaw === 'true' || tlsRaw === '1';
  const auth = {
    tls,
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
  };
  const sentinel = set('REDIS_SENTINELS');
  const common: RedisCommon = {
    waitReplicas: count('REDIS_WAIT_REPLICAS', env.REDIS_WAIT_REPLICAS, sentinel ? 1 : 0, problems),
    waitTimeoutMs: count('REDIS_WAIT_TIMEOUT_MS', env.REDIS_WAIT_TIMEOUT_MS, 2000, problems),
  };
  let config: RedisConfig;
  if (set('REDIS_URL')) {
    const url = env.REDIS_URL!.trim();
    if (!/^rediss?:\/\/[^/]/.test(url) || !URL.canParse(url))
      problems.push('REDIS_URL: must be a redis:// or rediss:// URL');
    config = { mode: 'single', url, ...common };
  } else if (sentinel) {
    const name = env.REDIS_SENTINEL_NAME?.trim() ?? '';
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      problems.push(
        'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the monitored master name)',
      );
    config = {
      mode: 'sentinel',
      sentinels: addresses('REDIS_SENTINELS', env.REDIS_SENTINELS!, problems),
      name,
      db: count('REDIS_DB', env.REDIS_DB, 0, problems),
      ...(env.REDIS_SENTINEL_USERNAME ? { sentinelUsername: env.REDIS_SENTINEL_USERNAME } : {}),
      ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
      ...auth,
      ...common,
    };
  } else {
    if (set('REDIS_DB')) problems.push('REDIS_DB: a Redis Cluster has only database 0');
    config = {
      mode: 'cluster',
      nodes: addresses('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES!, problems),
      ...auth,
      ...common,
    };
  }
  if (problems.length > 0) throw new RedisConfigError(problems);
  return config;
}

/** Where the configuration points, for logs (never a password). */
export function describeRedis(config: RedisConfig): string {
  if (config.mode === 'single') {
    const url = new URL(config.url);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  }
  const list = (config.mode === 'sentinel' ? config.sentinels : config.nodes)
    .map((a) => `${a.host}:${a.port}`)
    .join(',');
  return config.mode === 'sentinel' ? `sentinel ${config.name} via ${list}` : `cluster via ${list}`;
}
