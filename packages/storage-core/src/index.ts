export type { Body } from './body.js';
export { bodyToBuffer, bodyToReadable, isStreamBody, streamToBuffer } from './body.js';
export {
  CONTENT_MD5,
  contentMd5Mismatch,
  md5HexToBase64,
  md5Matches,
  verifyingMd5,
} from './content-md5.js';
export { DEFAULT_CONTENT_TYPE, contentTypeFromKey } from './content-type.js';
export { decodeCursor, encodeCursor } from './cursor.js';
export { Disk } from './disk.js';
export type { DiskOptions } from './disk.js';
export { applyLayers, interceptDriver } from './storage-layer.js';
export type {
  DriverCall,
  DriverInterceptor,
  ListAllInterceptor,
  StorageLayer,
} from './storage-layer.js';
export { timeoutLayer } from './timeout-layer.js';
export type { TimeoutLayerOptions } from './timeout-layer.js';
export { isIdempotent, retryLayer } from './retry-layer.js';
export type { RetryLayerOptions } from './retry-layer.js';
export { metricsLayer } from './metrics-layer.js';
export {
  AlreadyExistsError,
  ConfigError,
  InsufficientStorageError,
  InvalidKeyError,
  InvalidRangeError,
  NotFoundError,
  PermissionDeniedError,
  StorageError,
  StorageTimeoutError,
  StorageUnavailableError,
  isStorageError,
} from './errors.js';
export type { StorageErrorCode, StorageErrorOptions, StorageOperation } from './errors.js';
export {
  MAX_KEY_BYTES,
  compareKeys,
  encodeKeyForUrl,
  joinPublicUrl,
  validateDeletePrefix,
  validateKey,
  validatePrefix,
} from './keys.js';
export {
  MAX_LIST_LIMIT,
  MAX_METADATA_BYTES,
  rangeHeader,
  resolveListLimit,
  resolveRange,
  validateRange,
  validateUploadOptions,
} from './options.js';
export type { MetricLabels, Monitoring } from './monitoring.js';
export { noopMonitoring, timed } from './monitoring.js';
export type {
  ByteRange,
  ListOptions,
  ListPage,
  ObjectInfo,
  StoredObject,
  ProvisionOptions,
  SignedUrlOptions,
  StorageAdapter,
  UploadOptions,
  UploadPost,
  UploadPostOptions,
  Visibility,
} from './storage-adapter.js';
export type { StorageCapabilities } from './storage-capabilities.js';
export { MAX_PARTS, MAX_PART_BYTES, MIN_PART_BYTES } from './direct-multipart.js';
export type {
  CompletedPart,
  MultipartUploadOptions,
  ReceiveUploadPartOptions,
  SignUploadPartOptions,
  UploadedPart,
} from './direct-multipart.js';
export type { DriverPage, DriverWrite, StorageDriver } from './storage-driver.js';
export {
  KEY_LAYOUT,
  defaultVisibility,
  derivedKey,
  isPublicKey,
  jobOriginalKey,
  jobOutputPrefix,
  keyOwner,
  keyTool,
  ownsKey,
  uploadPrefix,
} from './key-layout.js';
export type { LayoutFolder } from './key-layout.js';
export { ERROR_CODES, STORAGE_ERROR_CODES, isErrorCode } from './error-codes.js';
export type { ErrorCode, ErrorCodeInfo } from './error-codes.js';
export { parseCdnSigningKeys, signCdnUrl } from './cdn-signature.js';
export type { CdnSigningKey } from './cdn-signature.js';
