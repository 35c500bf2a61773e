export {
  REDIS_ENV_VARS,
  RedisConfigError,
  describeRedis,
  redisConfigFromEnv,
} from './redis-config.js';
export type { RedisAddress, RedisConfig } from './redis-config.js';
export { RedisConnections, scanKeys } from './redis-connections.js';
export type { RedisClient } from './redis-connections.js';
export { ReplicationTimeoutError, isRedisUnavailable } from './redis-unavailable.js';
