import type { StorageOperation } from './errors.js';
import type { ObjectInfo } from './storage-adapter.js';
import type { StorageDriver } from './storage-driver.js';

/**
 * A wrapper around a driver, in the spirit of Apache OpenDAL's layers: it takes a {@link StorageDriver} and
 * returns one with the same contract that adds one concern (a deadline, retries, metrics, ...) around every
 * call. `Disk` applies `DiskOptions.layers` in order, the first wrapping the driver and the last outermost, so
 * `[timeoutLayer(), retryLayer(), metricsLayer(m)]` times each attempt, retries timed-out attempts and counts
 * one operation per caller's call. Layers see only calls `Disk` has validated; see `refused` on the driver for
 * calls it turned down.
 */
export type StorageLayer = (driver: StorageDriver) => StorageDriver;

/** One driver call as a layer sees it. */
export interface DriverCall {
  /** The adapter operation the call serves (`signedUrl` is `getSignedUrl`, `createMultipart` is `createMultipartUpload`, ...). */
  readonly operation: StorageOperation;
  /** The key or prefix concerned; `undefined` for `checkHealth`, `sweepIncomplete` and `provision`. */
  readonly key: string | undefined;
  /** The driver method's arguments, as given (layers pass changed copies to `next`, never mutate them). */
  readonly args: readonly unknown[];
}

/** What a layer built with {@link interceptDriver} does around each call: `next` runs the inner driver's method. */
export type DriverInterceptor = <T>(
  call: DriverCall,
  next: (args?: readonly unknown[]) => Promise<T>,
) => Promise<T>;

/** What a layer does around `listAll`: wraps the inner driver's iterable (default: passes it on). */
export type ListAllInterceptor = (
  call: DriverCall,
  items: AsyncIterable<ObjectInfo>,
) => AsyncIterable<ObjectInfo>;

type AsyncMethod = Exclude<
  {
    [M in keyof StorageDriver]-?: NonNullable<StorageDriver[M]> extends (
      ...args: never[]
    ) => Promise<unknown>
      ? M
      : never;
  }[keyof StorageDriver],
  undefined
>;

/** The driver methods that do I/O, with the operation each serves. */
const OPERATIONS: Readonly<Record<AsyncMethod, StorageOperation>> = {
  upload: 'upload',
  download: 'download',
  downloadStream: 'downloadStream',
  exists: 'exists',
  delete: 'delete',
  stat: 'stat',
  list: 'list',
  copy: 'copy',
  move: 'move',
  deletePrefix: 'deletePrefix',
  setVisibility: 'setVisibility',
  checkHealth: 'checkHealth',
  sweepIncomplete: 'sweepIncomplete',
  provision: 'provision',
  signedUrl: 'getSignedUrl',
  uploadPost: 'createUploadPost',
  createMultipart: 'createMultipartUpload',
  signPart: 'signUploadPart',
  listParts: 'listUploadParts',
  completeMultipart: 'completeMultipartUpload',
  abortMultipart: 'abortMultipartUpload',
  receivePart: 'receiveUploadPart',
};

const KEYLESS = new Set<AsyncMethod>(['checkHealth', 'sweepIncomplete', 'provision']);

function keyOf(inner: StorageDriver, method: AsyncMethod, args: unknown[]): string | undefined {
  if (KEYLESS.has(method)) return undefined;
  // A part's key is named by its URL (the first argument).
  if (method === 'receivePart') return inner.partUrlKey?.(args[0] as string);
  return args[0] as string;
}

/**
 * Builds a layer's driver: every I/O method of `inner` goes through `intercept`, `listAll` through `items`;
 * `backend`, `capabilities`, `checkKey`, `publicUrl`, `originUrl`, `partUrlKey` and `refused` pass straight through, and an
 * optional method `inner` lacks stays absent (so `Disk` still reports it unsupported).
 */
export function interceptDriver(
  inner: StorageDriver,
  intercept: DriverInterceptor,
  items: ListAllInterceptor = (_call, iterable) => iterable,
): StorageDriver {
  const driver: Record<string, unknown> = {
    backend: inner.backend,
    capabilities: inner.capabilities,
    publicUrl: (key: string) => inner.publicUrl(key),
    listAll: (prefix: string) =>
      items({ operation: 'listAll', key: prefix, args: [prefix] }, inner.listAll(prefix)),
    refused: (operation: StorageOperation, error: unknown) => inner.refused?.(operation, error),
  };
  if (inner.checkKey) driver.checkKey = inner.checkKey.bind(inner);
  if (inner.originUrl) driver.originUrl = inner.originUrl.bind(inner);
  if (inner.partUrlKey) driver.partUrlKey = inner.partUrlKey.bind(inner);
  for (const [method, operation] of Object.entries(OPERATIONS) as Array<
    [AsyncMethod, StorageOperation]
  >) {
    if (typeof inner[method] !== 'function') continue;
    driver[method] = (...args: unknown[]) =>
      intercept({ operation, key: keyOf(inner, method, args), args }, (next = args) =>
        (inner[method] as (...args: unknown[]) => Promise<unknown>).apply(inner, next as unknown[]),
      );
  }
  return driver as unknown as StorageDriver;
}

/** `layers` applied to `driver` in order: the first wraps the driver, the last is outermost. */
export function applyLayers(
  driver: StorageDriver,
  layers: readonly StorageLayer[] = [],
): StorageDriver {
  return layers.reduce<StorageDriver>((inner, layer) => layer(inner), driver);
}
