import { ApiError } from './api-error.js';
import { API_ROUTES } from './api-routes.js';
import type { ApiOperation } from './api-routes.js';

/** No answer, a 5xx or a 429: worth asking again later. */
export const isTransient = (error: ApiError) =>
  error.status === 0 || error.status === 429 || error.status >= 500;

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

/** How the client reaches the API: base URL, key, time limit, retries and the `fetch` to use. */
export interface TransportSettings {
  base: string;
  auth: string;
  timeoutMs: number;
  retries: number;
  fetch: typeof fetch;
}

/** Requests to the API's routes: authentication, the time limit up to the answer's headers, retries. */
export class ApiTransport {
  readonly #base: string;
  readonly #auth: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #fetch: typeof fetch;

  constructor(settings: TransportSettings) {
    this.#base = settings.base;
    this.#auth = settings.auth;
    this.#timeoutMs = settings.timeoutMs;
    this.#retries = settings.retries;
    this.#fetch = settings.fetch;
  }

  async call(
    operation: ApiOperation,
    params: Record<string, string>,
    init: RequestInit & { query?: Record<string, string>; duplex?: 'half' } = {},
  ): Promise<Response> {
    const { query, headers, ...rest } = init;
    let route: string = API_ROUTES[operation].path;
    for (const [name, value] of Object.entries(params))
      route = route.replace(
        `{${name}}`,
        name === 'key' ? encodeKey(value) : encodeURIComponent(value),
      );
    const search = query && Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
    const method = API_ROUTES[operation].method.toUpperCase();
    // A 429 means the request was not processed: any request whose body can be sent again is retried after
    // Retry-After. Reads, deletes and visibility changes are also retried on 502/503/504 and when no answer came.
    const replayable = rest.duplex !== 'half';
    const idempotent = ['GET', 'HEAD', 'DELETE', 'PATCH'].includes(method);
    for (let attempt = 0; ; attempt++) {
      let failure: ApiError;
      try {
        const response = await this.#send(operation, `${this.#base}${route}${search}`, {
          method,
          ...rest,
          headers: { ...(headers as Record<string, string>), authorization: this.#auth },
        });
        if (response.ok || response.status === 304) return response;
        failure = await ApiError.from(response);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        failure = error;
      }
      const retry =
        attempt < this.#retries &&
        replayable &&
        (failure.status === 429 ||
          (idempotent && (failure.status === 0 || [502, 503, 504].includes(failure.status))));
      if (!retry || rest.signal?.aborted) throw failure;
      const backoff = Math.min(5000, 100 * 2 ** attempt);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(backoff, (failure.retryAfterSeconds ?? 0) * 1000)),
      );
    }
  }

  /** One request. The time limit runs until the answer's headers arrive, never while a body is read. */
  async #send(operation: ApiOperation, url: string, init: RequestInit): Promise<Response> {
    const timeout = new AbortController();
    const limitMs = operation === 'uploadFile' ? this.#timeoutMs * 10 : this.#timeoutMs;
    const timer = setTimeout(
      () => timeout.abort(new Error(`no answer within ${limitMs} ms`)),
      limitMs,
    );
    try {
      return await this.#fetch(url, {
        ...init,
        signal: init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal,
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiError(0, 'E_NETWORK', `${operation}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
