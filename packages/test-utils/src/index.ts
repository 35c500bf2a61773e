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
export { startPartGateway } from './part-gateway.js';
export type { PartGateway } from './part-gateway.js';
export { MockS3Client } from './mock-s3-client.js';
export type { MockS3Call, MockS3Fault } from './mock-s3-client.js';
export type { MockS3ErrorSpec } from './mock-s3/mock-s3-store.js';
export { isCi, needs, skipForCapability } from './skips.js';
export type { SkipReason } from './skips.js';
