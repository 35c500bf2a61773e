import type { Body } from './body.js';
import { bodyToBuffer, isStreamBody } from './body.js';
import { verifyingMd5 } from './content-md5.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { MAX_PARTS, MAX_PART_BYTES } from './direct-multipart.js';
import type {
  CompletedPart,
  MultipartUploadOptions,
  ReceiveUploadPartOptions,
  SignUploadPartOptions,
  UploadedPart,
} from './direct-multipart.js';
import { ConfigError, InvalidKeyError, PermissionDeniedError, StorageError } from './errors.js';
import type { StorageOperation } from './errors.js';
import { defaultVisibility } from './key-layout.js';
import { validateDeletePrefix, validateKey, validatePrefix } from './keys.js';
import { metricsLayer } from './metrics-layer.js';
import type { Monitoring } from './monitoring.js';
import { resolveListLimit, validateRange, validateUploadOptions } from './options.js';
import type { StorageCapabilities } from './storage-capabilities.js';
import type {
  ByteRange,
  ListOptions,
  ListPage,
  ObjectInfo,
  ProvisionOptions,
  SignedUrlOptions,
  StorageAdapter,
  StoredObject,
  UploadOptions,
  UploadPost,
  UploadPostOptions,
  Visibility,
} from './storage-adapter.js';
import type { DriverWrite, StorageDriver } from './storage-driver.js';
import { applyLayers, interceptDriver } from './storage-layer.js';
import type { StorageLayer } from './storage-layer.js';
import { noteBodyError, wrapError } from './wrap-error.js';

/** Wiring of a {@link Disk}. */
export interface DiskOptions {
  /**
   * Wrappers around the driver (timeouts, retries, metrics, your own), applied in order: the first wraps the
   * driver, the last is outermost (see {@link StorageLayer}). Default: none.
   */
  layers?: readonly StorageLayer[];
  /**
   * Where per-operation metrics go: `storage_operations_total` and the `storage_operation_ms` histogram
   * (labels `backend`, `operation`, `outcome`), `storage_errors_total` (`backend`, `operation`, `code`) and
   * `storage_bytes_total` (`backend`, `operation`) for bytes written and read. Shorthand for a
   * `metricsLayer(monitoring)` after (outside) every one of `layers`. Default: discarded.
   */
  monitoring?: Monitoring;
}

/** Errors that came out of the (layered) driver, as opposed to `Disk`'s own refusals before any I/O. */
const driverErrors = new WeakSet<object>();

const MAX_SIGNED_URL_SECONDS = 604_800;

/**
 * The front every adapter is built from: it validates keys, prefixes, options and ranges once, before
 * any I/O; guarantees that failures are {@link StorageError}s (an aborted call passes its abort reason on, and
 * an upload whose body stream fails passes that stream's own error on). Behind it the layers
 * (`options.layers`: deadlines, retries, metrics) wrap a {@link StorageDriver} that does only the I/O.
 */
export class Disk implements StorageAdapter {
  readonly #driver: StorageDriver;
  /** True when layers may want to hear of refused calls (`StorageDriver.refused`). */
  readonly #layered: boolean;

  constructor(driver: StorageDriver, options: DiskOptions = {}) {
    const layers = [
      ...(options.layers ?? []),
      ...(options.monitoring ? [metricsLayer(options.monitoring)] : []),
    ];
    this.#layered = layers.length > 0;
    this.#driver = this.#layered ? tagErrors(applyLayers(driver, layers)) : driver;
  }

  get backend(): string {
    return this.#driver.backend;
  }

  get capabilities(): StorageCapabilities {
    return this.#driver.capabilities;
  }

  async upload(
    key: string,
    body: Body,
    contentType: string,
    options: UploadOptions = {},
  ): Promise<string> {
    return (await this.put(key, body, contentType, options)).url;
  }

  put(
    key: string,
    body: Body,
    contentType: string,
    options: UploadOptions = {},
  ): Promise<StoredObject> {
    return this.#run('upload', key, async () => {
      this.#key(key, 'upload');
      validateUploadOptions(key, contentType, options, this.backend);
      const bytes = bodyToBuffer(body);
      if (bytes && options.contentLength !== undefined && options.contentLength !== bytes.length)
        throw new StorageError(
          'EINVAL',
          `Body of ${JSON.stringify(key)} does not match contentLength`,
          {
            key,
            operation: 'upload',
            backend: this.backend,
          },
        );
      options.signal?.throwIfAborted();
      const stream = isStreamBody(body) ? body : undefined;
      stream?.on('error', noteBodyError);
      const visibility = options.visibility ?? defaultVisibility(key);
      let written: DriverWrite;
      try {
        // Bytes in memory are checked by the driver (S3 sends Content-MD5); a stream is checked here, as it flows.
        const checked =
          stream && options.contentMd5
            ? verifyingMd5(stream, options.contentMd5, key, this.backend)
            : body;
        written = await this.#driver.upload(key, checked, contentType, {
          ...options,
          visibility,
          contentMd5: stream ? undefined : options.contentMd5,
        });
      } finally {
        stream?.removeListener('error', noteBodyError);
      }
      return {
        key,
        url: this.#driver.publicUrl(key),
        size: written.size,
        contentType,
        etag: written.etag,
        visibility,
        metadata: { ...options.metadata },
        ...(options.cacheControl ? { cacheControl: options.cacheControl } : {}),
      };
    });
  }

  download(key: string): Promise<Buffer> {
    return this.#run('download', key, async () => {
      this.#key(key, 'download');
      return this.#driver.download(key);
    });
  }

  downloadStream(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    return this.#run('downloadStream', key, async () => {
      this.#key(key, 'downloadStream');
      if (range) validateRange(range, { key, backend: this.backend });
      return this.#driver.downloadStream(key, range);
    });
  }

  exists(key: string): Promise<boolean> {
    return this.#run('exists', key, async () => {
      this.#key(key, 'exists');
      return this.#driver.exists(key);
    });
  }

  delete(key: string): Promise<void> {
    return this.#run('delete', key, async () => {
      this.#key(key, 'delete');
      await this.#driver.delete(key);
    });
  }

  getPublicUrl(key: string): string {
    this.#key(key, 'getPublicUrl');
    return this.#driver.publicUrl(key);
  }

  stat(key: string): Promise<ObjectInfo> {
    return this.#run('stat', key, async () => {
      this.#key(key, 'stat');
      return this.#driver.stat(key);
    });
  }

  list(prefix = '', options: ListOptions = {}): Promise<ListPage> {
    return this.#run('list', prefix, async () => {
      this.#prefix(prefix, 'list');
      const limit = resolveListLimit(options.limit, this.backend);
      const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
      const { items, more } = await this.#driver.list(prefix, {
        limit,
        after,
        metadata: options.metadata === true,
      });
      const last = items.at(-1);
      return more && last ? { items, cursor: encodeCursor(last.key) } : { items };
    });
  }

  async *listAll(prefix = ''): AsyncIterable<ObjectInfo> {
    try {
      this.#prefix(prefix, 'listAll');
      yield* this.#driver.listAll(prefix);
    } catch (error) {
      throw this.#wrap(error, 'listAll', prefix);
    }
  }

  copy(fromKey: string, toKey: string): Promise<void> {
    return this.#run('copy', fromKey, async () => {
      this.#key(fromKey, 'copy');
      this.#key(toKey, 'copy');
      await this.#driver.copy(fromKey, toKey);
    });
  }

  move(fromKey: string, toKey: string): Promise<void> {
    return this.#run('move', fromKey, async () => {
      this.#key(fromKey, 'move');
      this.#key(toKey, 'move');
      if (fromKey === toKey) await this.#driver.stat(fromKey);
      else await this.#driver.move(fromKey, toKey);
    });
  }

  deletePrefix(prefix: string): Promise<number> {
    return this.#run('deletePrefix', prefix, async () => {
      validateDeletePrefix(prefix, this.backend);
      this.#prefix(prefix, 'deletePrefix');
      return this.#driver.deletePrefix(prefix);
    });
  }

  setVisibility(key: string, visibility: Visibility): Promise<void> {
    return this.#run('setVisibility', key, async () => {
      this.#key(key, 'setVisibility');
      if (visibility !== 'public' && visibility !== 'private')
        throw new InvalidKeyError(`Invalid visibility ${JSON.stringify(visibility)}`, {
          key,
          operation: 'setVisibility',
          backend: this.backend,
        });
      await this.#driver.setVisibility(key, visibility);
    });
  }

  checkHealth(): Promise<void> {
    return this.#run('checkHealth', undefined, () => this.#driver.checkHealth());
  }

  sweepIncomplete(options: { olderThanMs?: number } = {}): Promise<number> {
    return this.#run('sweepIncomplete', undefined, () =>
      this.#driver.sweepIncomplete(options.olderThanMs),
    );
  }

  provision(options: ProvisionOptions = {}): Promise<{ created: boolean }> {
    return this.#run('provision', undefined, async () => {
      for (const folder of options.folders ?? []) validateKey(folder, 'provision', this.backend);
      if (
        (options.publicRead !== undefined ||
          options.corsOrigins !== undefined ||
          options.addCorsOrigins !== undefined) &&
        !this.capabilities.publicReadPolicy
      )
        throw this.#unsupported(
          'provision',
          'publicRead and corsOrigins (capabilities.publicReadPolicy)',
        );
      for (const origin of [...(options.corsOrigins ?? []), ...(options.addCorsOrigins ?? [])])
        if (!/^https?:\/\/[^/\s]+$/.test(origin))
          throw new InvalidKeyError(
            `Invalid CORS origin ${JSON.stringify(origin)}: scheme://host[:port]`,
            {
              operation: 'provision',
              backend: this.backend,
            },
          );
      return this.#driver.provision(options);
    });
  }

  getOriginUrl(key: string): string {
    this.#key(key, 'getOriginUrl');
    if (!this.#driver.originUrl) throw this.#unsupported('getOriginUrl', 'origin URLs');
    return this.#driver.originUrl(key);
  }

  createUploadPost(key: string, options: UploadPostOptions): Promise<UploadPost> {
    return this.#run('createUploadPost', key, async () => {
      this.#key(key, 'createUploadPost');
      validateUploadOptions(
        key,
        options.contentType,
        { contentLength: options.size },
        this.backend,
      );
      const expiresIn = this.#lifetime(options.expiresIn, key, 'createUploadPost');
      if (!this.#driver.uploadPost) throw this.#unsupported('createUploadPost', 'direct uploads');
      return this.#driver.uploadPost(key, { ...options, expiresIn });
    });
  }

  getSignedUrl(key: string, options: SignedUrlOptions = {}): Promise<string> {
    return this.#run('getSignedUrl', key, async () => {
      this.#key(key, 'getSignedUrl');
      const expiresIn = this.#lifetime(options.expiresIn, key, 'getSignedUrl');
      if (!this.#driver.signedUrl) throw this.#unsupported('getSignedUrl', 'signed URLs');
      return this.#driver.signedUrl(key, { ...options, expiresIn });
    });
  }

  createMultipartUpload(
    key: string,
    options: MultipartUploadOptions,
  ): Promise<{ uploadId: string }> {
    return this.#run('createMultipartUpload', key, async () => {
      this.#key(key, 'createMultipartUpload');
      validateUploadOptions(key, options.contentType, {}, this.backend);
      return this.#multipartDriver('createMultipartUpload').createMultipart!(key, options);
    });
  }

  signUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    options: SignUploadPartOptions = {},
  ): Promise<string> {
    return this.#run('signUploadPart', key, async () => {
      this.#key(key, 'signUploadPart');
      this.#uploadId(uploadId, key, 'signUploadPart');
      this.#partNumber(partNumber, key, 'signUploadPart');
      const expiresIn = this.#lifetime(options.expiresIn, key, 'signUploadPart');
      const { maxBytes } = options;
      if (
        maxBytes !== undefined &&
        (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_PART_BYTES)
      )
        throw new ConfigError(
          `signUploadPart: maxBytes must be an integer from 1 to ${MAX_PART_BYTES}`,
          ['maxBytes'],
          { key, operation: 'signUploadPart', backend: this.backend },
        );
      return this.#multipartDriver('signUploadPart').signPart!(
        key,
        uploadId,
        partNumber,
        expiresIn,
        maxBytes,
      );
    });
  }

  listUploadParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    return this.#run('listUploadParts', key, async () => {
      this.#key(key, 'listUploadParts');
      this.#uploadId(uploadId, key, 'listUploadParts');
      return this.#multipartDriver('listUploadParts').listParts!(key, uploadId);
    });
  }

  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
  ): Promise<void> {
    return this.#run('completeMultipartUpload', key, async () => {
      this.#key(key, 'completeMultipartUpload');
      this.#uploadId(uploadId, key, 'completeMultipartUpload');
      if (parts.length === 0)
        throw new ConfigError('completeMultipartUpload: at least one part', ['parts'], {
          key,
          operation: 'completeMultipartUpload',
          backend: this.backend,
        });
      let previous = 0;
      for (const part of parts) {
        this.#partNumber(part.partNumber, key, 'completeMultipartUpload');
        if (part.partNumber <= previous)
          throw new ConfigError('completeMultipartUpload: part numbers must ascend', ['parts'], {
            key,
            operation: 'completeMultipartUpload',
            backend: this.backend,
          });
        previous = part.partNumber;
      }
      await this.#multipartDriver('completeMultipartUpload').completeMultipart!(
        key,
        uploadId,
        parts,
      );
    });
  }

  abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    return this.#run('abortMultipartUpload', key, async () => {
      this.#key(key, 'abortMultipartUpload');
      this.#uploadId(uploadId, key, 'abortMultipartUpload');
      await this.#multipartDriver('abortMultipartUpload').abortMultipart!(key, uploadId);
    });
  }

  receiveUploadPart(
    url: string,
    body: NodeJS.ReadableStream,
    options: ReceiveUploadPartOptions = {},
  ): Promise<UploadedPart> {
    const d = this.#driver;
    const key = typeof url === 'string' ? d.partUrlKey?.(url) : undefined;
    return this.#run('receiveUploadPart', key, async () => {
      if (!d.partUrlKey || !d.receivePart)
        throw new ConfigError(
          `The ${this.backend} backend's part URLs are the store's own: nothing to receive`,
          ['receiveUploadPart'],
          { operation: 'receiveUploadPart', backend: this.backend },
        );
      if (key === undefined)
        throw new PermissionDeniedError('Not a part URL of this storage', {
          operation: 'receiveUploadPart',
          backend: this.backend,
        });
      this.#key(key, 'receiveUploadPart');
      const { contentLength } = options;
      if (
        contentLength !== undefined &&
        (!Number.isSafeInteger(contentLength) || contentLength < 0)
      )
        throw new ConfigError(
          'receiveUploadPart: contentLength must be a whole number',
          ['contentLength'],
          {
            key,
            operation: 'receiveUploadPart',
            backend: this.backend,
          },
        );
      return d.receivePart(url, body, options);
    });
  }

  async #run<T>(
    operation: StorageOperation,
    key: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.#wrap(error, operation, key);
    }
  }

  #wrap(error: unknown, operation: StorageOperation, key: string | undefined): unknown {
    const wrapped = wrapError(error, operation, key, this.backend);
    if (this.#layered && !(typeof error === 'object' && error !== null && driverErrors.has(error)))
      this.#driver.refused?.(operation, wrapped);
    return wrapped;
  }

  #multipartDriver(operation: StorageOperation): StorageDriver {
    const d = this.#driver;
    if (
      !this.capabilities.directMultipart ||
      !d.createMultipart ||
      !d.signPart ||
      !d.listParts ||
      !d.completeMultipart ||
      !d.abortMultipart
    )
      throw this.#unsupported(operation, 'direct multipart uploads');
    return d;
  }

  #uploadId(uploadId: string, key: string, operation: StorageOperation): void {
    if (typeof uploadId !== 'string' || uploadId.length === 0 || uploadId.length > 1024)
      throw new ConfigError(`${operation}: uploadId must be a non-empty string`, ['uploadId'], {
        key,
        operation,
        backend: this.backend,
      });
  }

  #partNumber(partNumber: number, key: string, operation: StorageOperation): void {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS)
      throw new ConfigError(
        `${operation}: part numbers are integers from 1 to ${MAX_PARTS}`,
        ['partNumber'],
        { key, operation, backend: this.backend },
      );
  }

  #lifetime(value: number | undefined, key: string, operation: StorageOperation): number {
    const expiresIn = value ?? 900;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_SIGNED_URL_SECONDS)
      throw new ConfigError(
        `${operation}: expiresIn must be an integer from 1 to ${MAX_SIGNED_URL_SECONDS} seconds`,
        ['expiresIn'],
        { key, operation, backend: this.backend },
      );
    return expiresIn;
  }

  #key(key: string, operation: StorageOperation): void {
    validateKey(key, operation, this.backend);
    this.#driver.checkKey?.(key, operation, false);
  }

  #prefix(prefix: string, operation: StorageOperation): void {
    validatePrefix(prefix, operation, this.backend);
    this.#driver.checkKey?.(prefix, operation, true);
  }

  #unsupported(operation: StorageOperation, what: string): ConfigError {
    return new ConfigError(`The ${this.backend} backend does not support ${what}`, [what], {
      operation,
      backend: this.backend,
    });
  }
}

/** The driver, noting which errors came out of it (so `Disk` tells its own refusals to the layers). */
function tagErrors(driver: StorageDriver): StorageDriver {
  const tag = (error: unknown, operation: StorageOperation, key: string | undefined): unknown => {
    const tagged =
      typeof error === 'object' && error !== null
        ? error
        : wrapError(error, operation, key, driver.backend);
    driverErrors.add(tagged as object);
    return tagged;
  };
  return interceptDriver(
    driver,
    async (call, next) => {
      try {
        return await next();
      } catch (error) {
        throw tag(error, call.operation, call.key);
      }
    },
    (call, items) =>
      (async function* () {
        try {
          yield* items;
        } catch (error) {
          throw tag(error, call.operation, call.key);
        }
      })(),
  );
}
