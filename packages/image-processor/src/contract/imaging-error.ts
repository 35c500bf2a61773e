import type { ErrorCode } from '@monorepo/storage-core';
import type { ImageErrorCode } from './image-processing-error.js';

/** Codes that must be in the platform's table (compile error otherwise). */
type PlatformCodes<T extends ErrorCode> = T;

/**
 * Why the imaging service refused or failed a request: platform codes (`ERROR_CODES` of `@monorepo/storage-core`,
 * docs/ERRORS.md), one per idea. The source failures are the image job's ({@link ImageErrorCode}).
 */
export type ImagingErrorCode = PlatformCodes<
  | ImageErrorCode
  /** The URL's options, source or extension are malformed or unknown, or the result would be too large. */
  | 'E_VALIDATION'
  /** No signature, or none of the configured key/salt pairs made it. Costs no source read. */
  | 'E_BAD_SIGNATURE'
  /** The URL's `exp` has passed. */
  | 'E_URL_EXPIRED'
  /** The signing key's team may not read the source (another team's, and not public). */
  | 'E_ACCESS_DENIED'
  /** The team renders more than its rate allows (cache hits are not counted). */
  | 'E_RATE_LIMITED'
  /** Every render slot and the queue behind them are taken. */
  | 'E_OVERLOADED'
  /** A dependency (Redis, storage) is unreachable. */
  | 'E_UNAVAILABLE'
>;

/** A typed refusal or failure of one imaging request; the HTTP status comes from `ERROR_CODES`. */
export class ImagingError extends Error {
  readonly code: ImagingErrorCode;
  /** Seconds after which trying again may succeed (`Retry-After`). */
  readonly retryAfter: number | undefined;

  constructor(
    code: ImagingErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfter?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImagingError';
    this.code = code;
    this.retryAfter = options?.retryAfter;
  }
}

/** An `E_VALIDATION` refusal of a malformed URL part. */
export const badUrl = (message: string) => new ImagingError('E_VALIDATION', message);
