import { describe, expect, it } from 'vitest';
import { RedisConfigError, describeRedis, redisConfigFromEnv } from './redis-config.js';

describe('redisConfigFromEnv', () => {
  it('reads one server from REDIS_URL (no replica wait)', () => {
    const config = redisConfigFromEnv({ REDIS_URL: 'redis://:secret@127.0.0.1:6379/2' });
    expect(config).toMatchObject({ mode: 'single', waitReplicas: 0 });
    expect(describeRedis(config)).toBe('redis://127.0.0.1:6379/2');
  });

  it('reads Sentinel with its master name, password and TLS; waits for one replica by default', () => {
    const config = redisConfigFromEnv({
      REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26379,[::1]:26380',
      REDIS_SENTINEL_NAME: 'storage',
      REDIS_PASSWORD: 'pw',
      REDIS_SENTINEL_PASSWORD: 'spw',
      REDIS_TLS: 'true',
    });
    expect(config).toMatchObject({
      mode: 'sentinel',
      name: 'storage',
      password: 'pw',
      sentinelPassword: 'spw',
      tls: true,
      waitReplicas: 1,
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    });
    expect(describeRedis(config)).not.toContain('pw');
  });

  it('reads Cluster nodes', () => {
    const config = redisConfigFromEnv({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' });
    expect(config).toMatchObject({
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
    });
  });

  it.each([
    [{}, /REDIS_URL: required/],
    [{ REDIS_URL: 'redis://a', REDIS_CLUSTER_NODES: 'a:1' }, /set only one/],
    [{ REDIS_URL: 'http://a' }, /REDIS_URL: must be/],
    [{ REDIS_SENTINELS: 'a:1' }, /REDIS_SENTINEL_NAME: required/],
    [{ REDIS_SENTINELS: 'a', REDIS_SENTINEL_NAME: 'm' }, /"a" is not host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:99999' }, /not host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:1', REDIS_DB: '2' }, /only database 0/],
    [{ REDIS_URL: 'redis://a', REDIS_WAIT_REPLICAS: 'x' }, /REDIS_WAIT_REPLICAS/],
    [{ REDIS_URL: 'redis://a', REDIS_TLS: 'yes' }, /REDIS_TLS/],
  ])('refuses %j', (env, message) => {
    expect(() => redisConfigFromEnv(env)).toThrow(RedisConfigError);
    expect(() => redisConfigFromEnv(env)).toThrow(message);
  });
});
