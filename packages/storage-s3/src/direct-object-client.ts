import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  isClockSkewError,
  isServerError,
  isThrottlingError,
  isTransientError,
} from '@smithy/core/retry';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { encodeKeyForUrl } from '@monorepo/storage-core';
import type { S3ClientLike } from './s3-client-like.js';

/** PutObject fields sent as plain headers; an input with any field outside these goes through the SDK. */
const PUT_HEADERS: Record<string, string> = {
  ContentType: 'content-type',
  CacheControl: 'cache-control',
  ContentDisposition: 'content-disposition',
  ContentEncoding: 'content-encoding',
  ContentLanguage: 'content-language',
  ContentMD5: 'content-md5',
  IfNoneMatch: 'if-none-match',
  IfMatch: 'if-match',
  Tagging: 'x-amz-tagging',
  ACL: 'x-amz-acl',
  StorageClass: 'x-amz-storage-class',
};
const BASE_FIELDS = new Set(['Bucket', 'Key', 'Body', 'ContentLength']);
const PART_FIELDS = new Set([...BASE_FIELDS, 'UploadId', 'PartNumber']);
const GET_FIELDS = new Set(['Bucket', 'Key', 'Range']);
/** SHA-256 of an empty payload, as SigV4 wants for a request without a body. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ERROR_BODY_LIMIT = 64 * 1024;
const VIRTUAL_HOST_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

interface DirectRequest {
  method: 'GET' | 'PUT';
  url: URL;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: Uint8Array;
}

interface SdkShapedError extends Error {
  cause?: Error;
  Code?: string;
  $fault?: 'client' | 'server';
  $metadata: Record<string, unknown>;
  $response?: { statusCode: number; headers: Record<string, string> };
}

interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}
interface RetryStrategy {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  refreshRetryTokenForRetry(token: RetryToken, info: object): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

const defined = (input: Record<string, unknown>) =>
  Object.keys(input).filter((field) => input[field] !== undefined);

const xmlText = (xml: string, tag: string) =>
  new RegExp(`<${tag}>([^<]*)</${tag}>`)
    .exec(xml)?.[1]
    ?.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => XML_ENTITIES[name]!);
const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };

function bytesOf(body: unknown): Uint8Array | undefined {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return undefined;
}

async function readCapped(body: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < ERROR_BODY_LIMIT) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_LIMIT).toString('utf8');
}

function retryAfter(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const date = Number.isFinite(seconds) ? new Date(Date.now() + seconds * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A `GetObject` output from the response: the body left to the caller, the headers as the SDK names them. */
function getOutput(
  body: IncomingMessage,
  headers: Record<string, string | undefined>,
  $metadata: Record<string, unknown>,
): Record<string, unknown> & { $metadata: Record<string, unknown> } {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice(11)] = value;
  const length = headers['content-length'];
  const modified = headers['last-modified'];
  return {
    Body: body,
    ContentLength: length === undefined ? undefined : Number(length),
    ContentType: headers['content-type'],
    ContentRange: headers['content-range'],
    CacheControl: headers['cache-control'],
    ETag: headers.etag,
    LastModified: modified === undefined ? undefined : new Date(modified),
    Metadata: metadata,
    $metadata,
  };
}

/** S3 Express One Zone directory buckets (`name--zone--x-s3`): their endpoints and auth are the SDK's. */
const EXPRESS_BUCKET = /--x-s3$/;

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * A client that sends `PutObject` and `UploadPart` with an in-memory body, and `GetObject` (whole or a range), as
 * one signed request of its own — the SDK's own SigV4 signer, retry strategy (shared retry quota, the SDK
 * middleware's wait after each refreshed token, `Retry-After` as a hint), connection pool, credentials and clock
 * offset, without the SDK's per-request middleware stack (~1 ms of CPU per request, twice the request itself;
 * see docs/performance.md) — and every other command, or one with a field it does not know, through the SDK
 * unchanged. Whatever the SDK would do differently goes through the SDK too: FIPS, dual-stack and accelerate
 * endpoints, checksums on every request (`requestChecksumCalculation: WHEN_SUPPORTED`), region redirects, S3
 * Express buckets, and any middleware added to the client after this was built. Errors have the SDK's shape
 * (`name` = S3 error code, `$fault`, `$metadata`), so they map and retry exactly as the SDK's do.
 */
export class DirectObjectClient implements S3ClientLike {
  readonly #sdk: S3Client;
  readonly #bucket: string;
  readonly #urlOf: (encodedKey: string) => string;
  readonly #signer: SignatureV4;
  readonly #middleware: number;
  #retry: Promise<RetryStrategy> | undefined;
  #plainSettings: Promise<boolean> | undefined;

  /**
   * @param sdk The client everything else goes through; its config supplies the signer's inputs and the pool.
   * @param bucket Requests to this bucket go direct; any other goes through the SDK.
   * @param urlOf The URL of an encoded key in `bucket`, in the addressing style the SDK uses for it.
   */
  constructor(sdk: S3Client, bucket: string, urlOf: (encodedKey: string) => string) {
    this.#sdk = sdk;
    this.#bucket = bucket;
    this.#urlOf = urlOf;
    this.#signer = new SignatureV4({
      service: 's3',
      region: sdk.config.region,
      credentials: sdk.config.credentials,
      sha256: sdk.config.sha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    this.#middleware = sdk.middlewareStack.identify().length;
  }

  async send(command: unknown, options: { abortSignal?: AbortSignal } = {}): Promise<unknown> {
    const request = (await this.#plain()) ? this.#direct(command) : undefined;
    if (!request) return this.#sdk.send(command as PutObjectCommand, options);
    return this.#send(request, options.abortSignal);
  }

  /** False when the SDK would send requests differently from a plain signed request to the bucket URL. */
  async #plain(): Promise<boolean> {
    const { config } = this.#sdk;
    this.#plainSettings ??= Promise.all([
      config.useFipsEndpoint(),
      config.useDualstackEndpoint(),
      config.requestChecksumCalculation(),
    ]).then(
      ([fips, dualStack, checksums]) =>
        !fips &&
        !dualStack &&
        !config.useAccelerateEndpoint &&
        !config.followRegionRedirects &&
        checksums === 'WHEN_REQUIRED' &&
        !EXPRESS_BUCKET.test(this.#bucket),
    );
    return (
      (await this.#plainSettings) &&
      this.#sdk.middlewareStack.identify().length === this.#middleware
    );
  }

  /** The request this client sends itself, or `undefined` for the SDK. */
  #direct(command: unknown): DirectRequest | undefined {
    if (command instanceof GetObjectCommand) {
      const input = command.input as unknown as Record<string, unknown>;
      const url = this.#url(input);
      if (!url || defined(input).some((field) => !GET_FIELDS.has(field))) return undefined;
      const headers: Record<string, string> = {
        host: url.host,
        'x-amz-content-sha256': EMPTY_SHA256,
      };
      if (typeof input.Range === 'string') headers.range = input.Range;
      return { method: 'GET', url, query: {}, headers };
    }
    const isPut = command instanceof PutObjectCommand;
    if (!isPut && !(command instanceof UploadPartCommand)) return undefined;
    const input = command.input as unknown as Record<string, unknown>;
    const body = bytesOf(input.Body);
    const url = this.#url(input);
    if (!body || !url) return undefined;
    if (input.ContentLength !== undefined && input.ContentLength !== body.length) return undefined;
    const headers: Record<string, string> = {
      host: url.host,
      'content-length': String(body.length),
      // The server checks the body against the signed Content-MD5 (and keeps it as the ETag), so the payload
      // itself need not be hashed a second time with SHA-256, here or there.
      'content-md5':
        typeof input.ContentMD5 === 'string'
          ? input.ContentMD5
          : createHash('md5').update(body).digest('base64'),
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    };
    const query: Record<string, string> = {};
    if (isPut) {
      for (const field of defined(input)) {
        if (BASE_FIELDS.has(field)) continue;
        if (field === 'Metadata') {
          for (const [name, value] of Object.entries(input.Metadata as Record<string, string>))
            if (value !== undefined) headers[`x-amz-meta-${name.toLowerCase()}`] = value;
        } else if (PUT_HEADERS[field] && typeof input[field] === 'string') {
          headers[PUT_HEADERS[field]] = input[field] as string;
        } else return undefined;
      }
    } else {
      if (defined(input).some((field) => !PART_FIELDS.has(field))) return undefined;
      query.partNumber = String(input.PartNumber);
      query.uploadId = String(input.UploadId);
    }
    return { method: 'PUT', url, query, headers, body };
  }

  /** The URL of the input's key in our bucket, or `undefined` for the SDK. */
  #url(input: Record<string, unknown>): URL | undefined {
    if (input.Bucket !== this.#bucket || typeof input.Key !== 'string') return undefined;
    const url = new URL(this.#urlOf(encodeKeyForUrl(input.Key)));
    // A bucket name that cannot be a virtual host (dots over TLS, upper case, ...) is one the SDK addresses
    // in the path instead.
    if (url.hostname.startsWith(`${this.#bucket}.`) && !VIRTUAL_HOST_BUCKET.test(this.#bucket))
      return undefined;
    return url;
  }

  async #send(request: DirectRequest, signal: AbortSignal | undefined): Promise<unknown> {
    this.#retry ??= this.#sdk.config.retryStrategy() as Promise<RetryStrategy>;
    const strategy = await this.#retry;
    let token = await strategy.acquireInitialRetryToken('');
    let attempts = 0;
    for (;;) {
      attempts += 1;
      try {
        const output = await this.#attempt(request, signal);
        strategy.recordSuccess(token);
        return { ...output, $metadata: { ...output.$metadata, attempts } };
      } catch (error) {
        const failure = error as SdkShapedError;
        if (signal?.aborted) throw error;
        this.#correctClock(failure);
        try {
          // As the SDK's retry middleware: refresh the token (some strategies wait here), then wait its delay.
          token = await raceAbort(
            strategy.refreshRetryTokenForRetry(token, {
              error,
              errorType: isThrottlingError(failure)
                ? 'THROTTLING'
                : isTransientError(failure)
                  ? 'TRANSIENT'
                  : isServerError(failure)
                    ? 'SERVER_ERROR'
                    : 'CLIENT_ERROR',
              retryAfterHint: retryAfter(failure.$response?.headers['retry-after']),
            }),
            signal,
          );
          const delay = token.getRetryDelay();
          if (delay > 0) await sleep(delay, undefined, { signal });
        } catch (refused) {
          if (signal?.aborted) throw refused;
          failure.$metadata = { ...failure.$metadata, attempts };
          throw failure;
        }
      }
    }
  }

  async #attempt(
    direct: DirectRequest,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, unknown> & { $metadata: Record<string, unknown> }> {
    const { url } = direct;
    const request = new HttpRequest({
      method: direct.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: direct.query,
      headers: { ...direct.headers },
      body: direct.body,
    });
    const signingDate = new Date(Date.now() + (this.#sdk.config.systemClockOffset ?? 0));
    const signed = await this.#signer.sign(request, { signingDate });
    const { response } = await this.#sdk.config.requestHandler.handle(signed as HttpRequest, {
      abortSignal: signal,
    });
    const body = response.body as IncomingMessage;
    const headers = response.headers as Record<string, string | undefined>;
    const $metadata = {
      httpStatusCode: response.statusCode,
      requestId: headers['x-amz-request-id'],
      extendedRequestId: headers['x-amz-id-2'],
    };
    if (response.statusCode < 300 && direct.method === 'GET')
      return getOutput(body, headers, $metadata);
    if (response.statusCode < 300) {
      body.resume();
      return { ETag: headers.etag, VersionId: headers['x-amz-version-id'], $metadata };
    }
    const xml = await readCapped(body);
    const status = response.statusCode;
    const code =
      xmlText(xml, 'Code') ||
      (status === 404 ? 'NotFound' : status === 412 ? 'PreconditionFailed' : 'UnknownError');
    const error = new Error(xmlText(xml, 'Message') || code) as SdkShapedError;
    return Promise.reject(
      Object.assign(error, {
        name: code,
        Code: code,
        $fault: status >= 500 ? 'server' : 'client',
        $metadata: { ...$metadata, requestId: xmlText(xml, 'RequestId') ?? $metadata.requestId },
        $response: { statusCode: status, headers: headers as Record<string, string> },
      }),
    );
  }

  /** As the SDK does: a clock-skew error with a server `Date` far from ours moves the shared clock offset. */
  #correctClock(error: SdkShapedError): void {
    const serverDate = Date.parse(error.$response?.headers.date ?? '');
    if (!isClockSkewError(error) || Number.isNaN(serverDate)) return;
    const offset = serverDate - Date.now();
    const current = this.#sdk.config.systemClockOffset ?? 0;
    if (Math.abs(offset - current) < 300_000) return;
    this.#sdk.config.systemClockOffset = offset;
    error.$metadata.clockSkewCorrected = true;
  }
}
