import { ConfigError } from '@monorepo/storage-core';
import type { Monitoring, StorageAdapter, StorageLayer } from '@monorepo/storage-core';
import { LocalStorageAdapter } from '@monorepo/storage-local';
import { S3StorageAdapter } from '@monorepo/storage-s3';
import type { S3ClientLike } from '@monorepo/storage-s3';
import { loadStorageConfig } from './load-storage-config.js';
import type { StorageConfig } from './storage-config.js';
import { standardLayers } from './storage-layers.js';

/** Wiring for adapters created by {@link StorageFactory}. */
export interface StorageFactoryOptions {
  /** For `type: 's3'`: use this client (e.g. `MockS3Client`) instead of building one. */
  s3Client?: S3ClientLike;
  /** Where the adapter reports per-operation metrics (see `DiskOptions.monitoring`). */
  monitoring?: Monitoring;
  /** Your own layers, placed outside the timeout and retry layers and inside the metrics layer. */
  layers?: readonly StorageLayer[];
}

/** Builds the adapter a configuration asks for. */
export const StorageFactory = {
  /**
   * Returns the adapter for `config.type`, behind the standard layers (`standardLayers`: deadlines from
   * `config.layers`, retries for local, metrics to `options.monitoring`) and `options.layers`.
   *
   * @throws {ConfigError} unknown type or invalid configuration.
   */
  createAdapter(config: StorageConfig, options: StorageFactoryOptions = {}): StorageAdapter {
    const layers = () =>
      standardLayers(config.type, config.layers, options.monitoring, options.layers);
    switch (config?.type) {
      case 'local':
        return new LocalStorageAdapter(config, { layers: layers() });
      case 's3':
        return new S3StorageAdapter(config, { client: options.s3Client, layers: layers() });
      default:
        throw new ConfigError(
          `Unknown storage type ${JSON.stringify((config as { type?: unknown })?.type)}`,
          ['type: must be "local" or "s3"'],
        );
    }
  },

  /**
   * {@link loadStorageConfig} + {@link createAdapter}: the adapter the environment describes.
   *
   * @throws {ConfigError} listing every invalid or missing variable.
   */
  fromEnv(
    env: NodeJS.ProcessEnv = process.env,
    options: StorageFactoryOptions = {},
  ): StorageAdapter {
    return StorageFactory.createAdapter(loadStorageConfig(env), options);
  },
};
