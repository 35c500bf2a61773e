import { Disk } from '@monorepo/storage-core';
import type { DiskOptions } from '@monorepo/storage-core';
import type { S3ClientLike } from './s3-client-like.js';
import { S3StorageDriver } from './s3-storage-driver.js';
import type { S3StorageConfig } from './s3-storage-config.js';

/** Extra wiring for {@link S3StorageAdapter}. */
export interface S3StorageAdapterOptions extends DiskOptions {
  /** Use this client instead of building one from the config (tests, custom middleware, shared pools). */
  client?: S3ClientLike;
}

/**
 * Stores objects in an S3 bucket (AWS S3, MinIO, Wasabi, R2, Ceph RGW, ...).
 *
 * - Bodies up to `multipartThreshold` (16 MiB) go up in one retryable `PutObject`: in-memory ones, and
 *   streams with a declared `contentLength`; larger ones and streams of unknown length
 *   go multipart with parallel parts in a fixed pool of part buffers
 *   (memory is bounded by `(queueSize + 1) × partSize`), aborted on failure
 *   so no upload is left dangling.
 * - No ACL headers are ever sent, so buckets with ACLs disabled and R2 work.
 * - Requests retry with the SDK's standard strategy; connect and socket
 *   timeouts bound how long a dead endpoint can hold a call.
 *
 * Keys and options are validated, errors typed and operations measured by the {@link Disk} it extends.
 */
export class S3StorageAdapter extends Disk {
  readonly #driver: S3StorageDriver;

  constructor(config: S3StorageConfig, options: S3StorageAdapterOptions = {}) {
    const driver = new S3StorageDriver(config, options.client);
    super(driver, options);
    this.#driver = driver;
  }

  /** The client requests go through (the injected one, if any). */
  get client(): S3ClientLike {
    return this.#driver.client;
  }
}
