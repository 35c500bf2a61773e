import type { LocalStorageConfig } from '@monorepo/storage-local';
import type { S3StorageConfig } from '@monorepo/storage-s3';
import type { StorageLayerSettings } from './storage-layers.js';

/** Every backend's configuration, told apart by `type`, with the settings of the layers around it. */
export type StorageConfig = (LocalStorageConfig | S3StorageConfig) & {
  /** Deadlines and retries of every call (see `standardLayers`); defaults when absent. */
  layers?: StorageLayerSettings;
};
