/** A refused or failed API call: the HTTP status and the API's error `code` and `message`. */
export class ApiError extends Error {
  /** HTTP status (0 when no answer arrived). */
  readonly status: number;
  /** The API's machine-readable code (`E_QUOTA_EXCEEDED`, `E_NOT_FOUND`, ...), or `E_NETWORK`. */
  readonly code: string;
  /** Seconds to wait before retrying, from `Retry-After`, when the API sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Reads an error answer (`{ "error": { "code", "message" } }`, or anything else) into an ApiError. */
  static async from(response: Response): Promise<ApiError> {
    const text = await response.text().catch(() => '');
    let code = `E_HTTP_${response.status}`;
    let message = text.slice(0, 500) || response.statusText;
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code === 'string') code = body.error.code;
      if (typeof body.error?.message === 'string') message = body.error.message;
    } catch {
      // not JSON: keep the text
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    return new ApiError(response.status, code, message, {
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
}
