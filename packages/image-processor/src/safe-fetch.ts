import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPublicAddress } from './contract/address-policy.js';
import { ImageProcessingError } from './contract/image-processing-error.js';
import { checkSourceUrl, forbidden, hostAllowed } from './contract/source-url.js';
import type { SourcePolicy } from './contract/source-policy.js';

/** A source response, ready to read: its body, declared length and the errors reading it can raise. */
export interface OpenedSource {
  stream: http.IncomingMessage;
  declaredBytes: number | undefined;
  finalUrl: string;
  /** Turns an error raised while reading `stream` into the fetch error it stands for. */
  mapError: (error: unknown) => unknown;
}

/** A DNS lookup that refuses names resolving to non-public addresses, so the check holds at connect time. */
function guardedLookup(policy: SourcePolicy, host: string): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as dns.LookupAddress[];
      if (!hostAllowed(host, policy)) {
        const bad = list.find((a) => !isPublicAddress(a.address));
        if (bad)
          return callback(
            forbidden(`Source host ${host} resolves to a non-public address`) as never,
            '',
            0,
          );
      }
      if (options.all) return callback(null, list as never);
      const first = list[0];
      if (!first) return callback(new Error(`No address for ${hostname}`) as never, '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Opens a source over HTTP(S) with SSRF protection and hands over the response body unread: only http/https;
 * the address is checked when connecting (so DNS rebinding cannot slip a private address in) and again after
 * every redirect; at most `maxRedirects` redirects; a connect timeout per hop and a total timeout that keeps
 * running while the body is read. The reader enforces the byte limit.
 *
 * @throws {ImageProcessingError} `E_FORBIDDEN_SOURCE`, `E_SOURCE_REFUSED` (4xx) or `E_SOURCE_FETCH`.
 */
export async function openSource(
  raw: string,
  policy: SourcePolicy,
  signal?: AbortSignal,
): Promise<OpenedSource> {
  const deadline = AbortSignal.timeout(policy.totalTimeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  let url = checkSourceUrl(raw, policy);
  for (let hop = 0; ; hop++) {
    const response = await request(url, policy, combined);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      if (hop >= policy.maxRedirects)
        throw new ImageProcessingError(
          'E_SOURCE_FETCH',
          `Too many redirects (more than ${policy.maxRedirects})`,
        );
      url = checkSourceUrl(new URL(response.headers.location, url).href, policy);
      continue;
    }
    if (status < 200 || status >= 300) {
      response.resume();
      // A 4xx repeats on every retry (gone, forbidden, bad request); 408 and 429 and 5xx may not.
      const refused = status >= 400 && status < 500 && status !== 408 && status !== 429;
      throw new ImageProcessingError(
        refused ? 'E_SOURCE_REFUSED' : 'E_SOURCE_FETCH',
        `Source answered HTTP ${status}`,
      );
    }
    const declared = Number(response.headers['content-length']);
    return {
      stream: response,
      declaredBytes: Number.isFinite(declared) ? declared : undefined,
      finalUrl: url.href,
      mapError: (error) => toFetchError(error, combined),
    };
  }
}

/** The answer {@link postSafely} got. */
export interface SafePostAnswer {
  status: number;
  /** Bytes of the answer's body read (at most `policy.maxBytes`; the rest is cut off). */
  bytes: number;
  /** True when the answer's body was longer than `policy.maxBytes` and was cut off. */
  truncated: boolean;
}

/**
 * POSTs `body` under the same SSRF rules as {@link openSource} (scheme, credentials, ports, the address checked
 * at connect time), with its connect timeout and a total timeout covering the answer; redirects are not
 * followed (a 3xx is the answer). The answer's body is read and dropped, at most `policy.maxBytes` of it.
 *
 * @throws {ImageProcessingError} `E_FORBIDDEN_SOURCE` or `E_SOURCE_FETCH` (network, timeout).
 */
export async function postSafely(
  raw: string,
  policy: SourcePolicy,
  body: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<SafePostAnswer> {
  const deadline = AbortSignal.timeout(policy.totalTimeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const url = checkSourceUrl(raw, policy);
  const response = await request(url, policy, combined, {
    method: 'POST',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  let bytes = 0;
  let truncated = false;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > policy.maxBytes) {
        truncated = true;
        bytes = policy.maxBytes;
        break;
      }
    }
  } catch (error) {
    throw toFetchError(error, combined);
  } finally {
    response.destroy();
  }
  return { status: response.statusCode ?? 0, bytes, truncated };
}

function request(
  url: URL,
  policy: SourcePolicy,
  signal: AbortSignal,
  send?: { method: string; headers: Record<string, string>; body: string },
): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: send?.method ?? 'GET',
      lookup: guardedLookup(policy, url.hostname),
      agent: false,
      signal,
      headers: send?.headers ?? {
        'user-agent': 'monorepo-image-processor/1',
        accept: 'image/*, video/*',
      },
    });
    req.end(send?.body);
    const connectTimer = setTimeout(
      () =>
        req.destroy(
          new ImageProcessingError('E_SOURCE_FETCH', `Connecting to ${url.host} timed out`),
        ),
      policy.connectTimeoutMs,
    );
    req.once('socket', (socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once('connect', () => clearTimeout(connectTimer));
    });
    req.once('response', (response) => {
      clearTimeout(connectTimer);
      resolve(response);
    });
    req.once('error', (error) => {
      clearTimeout(connectTimer);
      reject(toFetchError(error, signal));
    });
  });
}

function toFetchError(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof ImageProcessingError) return error;
  if ((error as Error)?.cause instanceof ImageProcessingError) return (error as Error).cause;
  if (signal.aborted) {
    const reason = signal.reason as Error | undefined;
    if (reason?.name === 'TimeoutError')
      return new ImageProcessingError('E_SOURCE_FETCH', 'Source download timed out', {
        cause: error,
      });
    return reason ?? error;
  }
  return new ImageProcessingError(
    'E_SOURCE_FETCH',
    `Source fetch failed: ${(error as Error)?.message ?? String(error)}`,
    { cause: error },
  );
}
