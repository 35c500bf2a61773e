export type { AdapterCapabilities } from './adapter-capabilities.js';
export {
  INVALID_KEYS,
  WEIRD_KEYS,
  hashStream,
  pseudoRandomBytes,
  pseudoRandomStream,
  sha256,
} from './contract-fixtures.js';
export { describeStorageAdapterContract } from './storage-adapter-contract.js';
export type { ContractFactory, ContractTarget } from './storage-adapter-contract.js';
