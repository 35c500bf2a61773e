export { FaultProxy } from './fault-proxy.js';
export type { ConnectionFault } from './fault-proxy.js';
export { freePort, waitForPort } from './free-port.js';
export { startRedis } from './redis-test-server.js';
export type { RedisTestServer } from './redis-test-server.js';
export { rgwAvailable, startRgw } from './rgw-test-server.js';
export type { RgwOptions } from './rgw-test-server.js';
export { s3ConfigFor, s3TestTarget, startS3rver } from './s3-test-server.js';
export type { S3TestServer } from './s3-test-server.js';
