/** An error with the HTTP status and machine-readable code to answer with. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** 404 that does not say whether the thing exists for someone else. */
export function notFound(what = 'Not found'): ApiError {
  return new ApiError(404, 'E_NOT_FOUND', what);
}
