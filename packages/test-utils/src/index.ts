export {
  INVALID_KEYS,
  WEIRD_KEYS,
  hashStream,
  pseudoRandomBytes,
  pseudoRandomStream,
  sha256,
} from './contract-fixtures.js';
export { describeStorageAdapterContract } from './storage-adapter-contract.js';
export type {
  ContractFactory,
  ContractOptions,
  ContractTarget,
} from './contract/contract-context.js';
export { MockS3Client } from './mock-s3-client.js';
export type { MockS3Call, MockS3ErrorSpec, MockS3Fault } from './mock-s3-client.js';
export { s3ConfigFor, s3TestTarget, startS3rver } from './s3-test-server.js';
export type { S3TestServer } from './s3-test-server.js';
export { rgwAvailable, startRgw } from './rgw-test-server.js';
export type { RgwOptions } from './rgw-test-server.js';
export { FaultProxy } from './fault-proxy.js';
export type { ConnectionFault } from './fault-proxy.js';
export { freePort, waitForPort } from './free-port.js';
export { startRedis } from './redis-test-server.js';
export type { RedisTestServer } from './redis-test-server.js';
