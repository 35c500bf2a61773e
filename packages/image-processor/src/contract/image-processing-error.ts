import type { ErrorCode } from '@monorepo/storage-core';

/** Codes that must be in the platform's table (compile error otherwise). */
type PlatformCodes<T extends ErrorCode> = T;

/** Why an image job failed: platform codes (`ERROR_CODES` of `@monorepo/storage-core`), one per idea. */
export type ImageErrorCode = PlatformCodes<
  /** Job fields are malformed (ids, tool, source): nothing was fetched. */
  | 'E_INVALID_JOB'
  /** The bytes are not a supported raster image (SVG, text, PDF, ...), whatever the name or header says. */
  | 'E_UNSUPPORTED_FORMAT'
  /** The source exceeds the byte limit (checked while streaming). */
  | 'E_SOURCE_TOO_LARGE'
  /** The image header declares more pixels than allowed (checked before decoding). */
  | 'E_TOO_MANY_PIXELS'
  /** Truncated or corrupt image data. */
  | 'E_CORRUPT_IMAGE'
  /** A video that ffprobe or ffmpeg cannot read (malformed, truncated, no decodable frame). */
  | 'E_CORRUPT_VIDEO'
  /** A video longer than allowed. */
  | 'E_VIDEO_TOO_LONG'
  /** The source URL points at a forbidden scheme or network (SSRF protection). */
  | 'E_FORBIDDEN_SOURCE'
  /** The source could not be fetched: network error, timeout, 5xx, 408 or 429 (worth retrying). */
  | 'E_SOURCE_FETCH'
  /** The source server refused the request with a 4xx status (not found, forbidden, ...): retrying cannot help. */
  | 'E_SOURCE_REFUSED'
  /** `sourceKey` names no stored object. */
  | 'E_NOT_FOUND'
  /** Decoding or encoding took longer than allowed. */
  | 'E_TIMEOUT'
  /** Reading or writing storage failed (usually transient). */
  | 'E_STORAGE'
  /** Anything unexpected (a bug, a missing tool such as ffmpeg): the detail is in the worker's log only. */
  | 'E_INTERNAL'
>;

const PERMANENT: ReadonlySet<ImageErrorCode> = new Set<ImageErrorCode>([
  'E_INVALID_JOB',
  'E_UNSUPPORTED_FORMAT',
  'E_SOURCE_TOO_LARGE',
  'E_TOO_MANY_PIXELS',
  'E_CORRUPT_IMAGE',
  'E_CORRUPT_VIDEO',
  'E_VIDEO_TOO_LONG',
  'E_FORBIDDEN_SOURCE',
  'E_NOT_FOUND',
  'E_SOURCE_REFUSED',
]);

/**
 * What a client is told about each failure code: fixed, generic text. The detail kept with the job (host
 * names, ports, DNS and socket errors) stays in the worker's logs, so a caller cannot map internal networks.
 */
export const FAILURE_MESSAGES: Readonly<Record<ImageErrorCode, string>> = {
  E_INVALID_JOB: 'The job is malformed',
  E_UNSUPPORTED_FORMAT: 'The source is not a supported image or video',
  E_SOURCE_TOO_LARGE: 'The source is larger than allowed',
  E_TOO_MANY_PIXELS: 'The image has more pixels than allowed',
  E_CORRUPT_IMAGE: 'The image data is corrupt or truncated',
  E_CORRUPT_VIDEO: 'The video is corrupt, truncated or has no decodable frame',
  E_VIDEO_TOO_LONG: 'The video is longer than allowed',
  E_FORBIDDEN_SOURCE: 'The source address is not allowed',
  E_SOURCE_FETCH: 'The source could not be fetched',
  E_SOURCE_REFUSED: 'The source server refused the request',
  E_NOT_FOUND: 'The source does not exist',
  E_TIMEOUT: 'The job took longer than allowed',
  E_STORAGE: 'Storage failed while processing the job',
  E_INTERNAL: 'The job failed',
};

/** A typed image job failure. `permanent` errors will fail again on retry. */
export class ImageProcessingError extends Error {
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageProcessingError';
    this.code = code;
  }

  /** True when retrying the same job cannot succeed. */
  get permanent(): boolean {
    return PERMANENT.has(this.code);
  }
}

/** True for an {@link ImageProcessingError}, optionally with the given code. */
export function isImageProcessingError(
  error: unknown,
  code?: ImageErrorCode,
): error is ImageProcessingError {
  return error instanceof ImageProcessingError && (code === undefined || error.code === code);
}
