export { mapS3Error } from './s3-errors.js';
export { S3StorageAdapter } from './s3-storage-adapter.js';
export type { S3ClientLike } from './s3-client-like.js';
export type { S3StorageAdapterOptions } from './s3-storage-adapter.js';
export type { S3StorageConfig } from './s3-storage-config.js';
