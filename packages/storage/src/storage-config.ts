import type { LocalStorageConfig } from '@monorepo/storage-local';
import type { S3StorageConfig } from '@monorepo/storage-s3';

/** Every backend's configuration, told apart by `type`. */
export type StorageConfig = LocalStorageConfig | S3StorageConfig;
