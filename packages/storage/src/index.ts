export * from '@monorepo/storage-core';
export { LocalStorageAdapter } from '@monorepo/storage-local';
export type { LocalStorageConfig } from '@monorepo/storage-local';
export { S3StorageAdapter } from '@monorepo/storage-s3';
export type { S3ClientLike, S3StorageAdapterOptions, S3StorageConfig } from '@monorepo/storage-s3';
export { STORAGE_ENV_VARS, loadStorageConfig } from './load-storage-config.js';
export type { StorageConfig } from './storage-config.js';
export { StorageFactory } from './storage-factory.js';
export type { StorageFactoryOptions } from './storage-factory.js';
