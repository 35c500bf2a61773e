export { LocalStorageAdapter } from './local-storage-adapter.js';
export type { LocalStorageConfig } from './local-storage-config.js';
