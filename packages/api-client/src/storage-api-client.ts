import { ApiError } from './api-error.js';
import { ApiTransport, isTransient } from './api-transport.js';
import type {
  CreatedWebhook,
  FileFolder,
  FileList,
  FileListItem,
  ImageJob,
  ImageJobList,
  ImageJobRequest,
  ImageToolName,
  IssuedUrl,
  StoredFile,
  TeamUsage,
  MultipartUploadAnswer,
  ResumableProgress,
  UploadIntentAnswer,
  UploadPart,
  Visibility,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventType,
} from './api-types.js';

/** How to reach the API. */
export interface StorageApiClientOptions {
  /** The API's base URL, e.g. `https://cdn.example.com/api` behind the gateway, or `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** A key from `API_KEYS`, sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /**
   * Time limit per request in ms, until the answer's headers arrive (default 30 000; ten times that for
   * uploads, whose whole body is sent first). Reading a downloaded body is never cut short.
   */
  timeoutMs?: number;
  /**
   * Retries of a refused or unanswered request (default 3): any request the API turned away with 429 (it was
   * not processed), after `Retry-After`; reads and deletes also on 502/503/504 and network errors. Streamed
   * upload bodies cannot be sent twice and are never retried.
   */
  retries?: number;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
}

/** A body to upload: bytes, text, a web stream or a Node stream (streamed, never buffered whole). */
export type UploadBody =
  Uint8Array | string | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * The storage platform API, typed. Every method throws {@link ApiError} with the API's `code` when the call is
 * refused (`E_QUOTA_EXCEEDED`, `E_RATE_LIMITED` with `retryAfterSeconds`, ...), and `E_NETWORK` when no answer
 * arrived.
 */
export class StorageApiClient {
  readonly #fetch: typeof fetch;
  readonly #transport: ApiTransport;

  constructor(options: StorageApiClientOptions) {
    this.#fetch = options.fetch ?? fetch;
    this.#transport = new ApiTransport({
      base: options.baseUrl.replace(/\/+$/, ''),
      auth: `Bearer ${options.apiKey}`,
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: options.retries ?? 3,
      fetch: this.#fetch,
    });
  }

  /** Uploads a file under `uploads/<you>/<uuid>/<name>`; the body is streamed to storage. */
  async uploadFile(
    body: UploadBody,
    options: { name: string; contentType?: string; visibility?: Visibility; signal?: AbortSignal },
  ): Promise<StoredFile> {
    const streamed =
      typeof body === 'object' && !(body instanceof Uint8Array) && !(body instanceof Blob);
    const response = await this.#transport.call(
      'uploadFile',
      {},
      {
        query: {
          name: options.name,
          ...(options.visibility ? { visibility: options.visibility } : {}),
        },
        method: 'POST',
        body: body as NonNullable<RequestInit['body']>,
        headers: { 'content-type': options.contentType ?? 'application/octet-stream' },
        ...(streamed ? { duplex: 'half' } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return (await response.json()) as StoredFile;
  }

  /**
   * One page of your uploads, or with `folder: 'outputs'` and a `tool` of your job outputs
   * (`processed/<tool>/<you>/`); `prefix` is relative to that folder.
   */
  async listFiles(
    options: {
      prefix?: string;
      limit?: number;
      cursor?: string;
      includeVisibility?: boolean;
      folder?: FileFolder;
      tool?: ImageToolName;
    } = {},
  ): Promise<FileList> {
    const query: Record<string, string> = {};
    if (options.folder) query.folder = options.folder;
    if (options.tool) query.tool = options.tool;
    if (options.includeVisibility) query.include = 'visibility';
    if (options.prefix) query.prefix = options.prefix;
    if (options.limit !== undefined) query.limit = String(options.limit);
    if (options.cursor) query.cursor = options.cursor;
    return (await (await this.#transport.call('listFiles', {}, { query })).json()) as FileList;
  }

  /** Every upload under `prefix`, page after page. */
  async *listAllFiles(prefix = ''): AsyncIterable<FileListItem> {
    let cursor: string | undefined;
    do {
      const page = await this.listFiles({ prefix, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.cursor;
    } while (cursor);
  }

  /** Opens a file (or an inclusive byte range of it); read the body as a stream from the response. */
  downloadFile(
    key: string,
    options: { range?: { start: number; end?: number } } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (options.range) headers.range = `bytes=${options.range.start}-${options.range.end ?? ''}`;
    return this.#transport.call('downloadFile', { key }, { headers });
  }

  /** True when the file exists and is yours. */
  async fileExists(key: string): Promise<boolean> {
    try {
      await this.#transport.call('headFile', { key }, { method: 'HEAD' });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return false;
      throw error;
    }
  }

  /** Deletes a file (deleting a missing one is not an error). */
  async deleteFile(key: string): Promise<void> {
    await this.#transport.call('deleteFile', { key }, { method: 'DELETE' });
  }

  /**
   * Announces a direct upload of exactly `size` bytes of `contentType`; the answer says where to send them
   * (see {@link sendUpload}) until `expiresAt`.
   */
  async createUpload(request: {
    name: string;
    contentType: string;
    size: number;
    visibility?: Visibility;
  }): Promise<UploadIntentAnswer> {
    const response = await this.#transport.call(
      'createUpload',
      {},
      {
        method: 'POST',
        body: JSON.stringify(request),
        headers: { 'content-type': 'application/json' },
      },
    );
    return (await response.json()) as UploadIntentAnswer;
  }

  /**
   * Sends an announced upload's bytes where its answer says: a form POST straight to the bucket, or a PUT to
   * its single-use URL. The API key is never sent there.
   *
   * @throws {ApiError} `E_UPLOAD_REFUSED` with the store's status when it refused the bytes.
   */
  async sendUpload(intent: UploadIntentAnswer, body: Uint8Array | Blob | string): Promise<void> {
    const { upload } = intent;
    let init: RequestInit;
    if (upload.method === 'POST') {
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      const type = upload.fields['Content-Type'] ?? 'application/octet-stream';
      const blob =
        body instanceof Blob
          ? body
          : new Blob([body as Uint8Array<ArrayBuffer> | string], { type });
      form.append(upload.fileField, blob, intent.key.slice(intent.key.lastIndexOf('/') + 1));
      init = { method: 'POST', body: form };
    } else {
      init = {
        method: 'PUT',
        body: body as NonNullable<RequestInit['body']>,
        headers: upload.headers,
      };
    }
    const response = await this.#fetch(upload.url, init);
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok)
      throw new ApiError(
        response.status,
        'E_UPLOAD_REFUSED',
        `The upload target answered ${response.status}`,
      );
  }

  /** Makes a sent upload one of your files (checked: size, type for images, quota). */
  async completeUpload(id: string): Promise<StoredFile> {
    const response = await this.#transport.call('completeUpload', { id }, { method: 'POST' });
    return (await response.json()) as StoredFile;
  }

  /** Gives up an announced upload not yet completed: what was sent is removed, its reservation released. */
  async abortUpload(id: string): Promise<void> {
    await this.#transport.call('abortUpload', { id }, { method: 'DELETE' });
  }

  /**
   * A resumable upload, straight to the store (S3) in parts: announces it (or resumes `resumeId`, skipping the
   * parts the store already holds), sends `concurrency` parts at a time (each retried up to `retries` times,
   * alone), then completes it with the part list. `onProgress` gets the upload's id first: keep it to resume
   * after a crash or a page reload. Works in Node and browsers; `body` is a `Blob` (a `File`) or bytes.
   *
   * @throws {ApiError} `E_UPLOAD_REFUSED` when a part still fails after its retries (the upload stays open:
   * resume it); the API's errors otherwise.
   */
  async uploadResumable(
    body: Blob | Uint8Array,
    options: {
      name: string;
      contentType: string;
      visibility?: Visibility;
      resumeId?: string;
      partSize?: number;
      concurrency?: number;
      retries?: number;
      onProgress?: (progress: ResumableProgress) => void;
      signal?: AbortSignal;
    },
  ): Promise<StoredFile> {
    const blob = body instanceof Blob ? body : new Blob([body as Uint8Array<ArrayBuffer>]);
    const size = blob.size;
    let id = options.resumeId;
    let done: UploadPart[] = [];
    if (id) {
      const listed = await this.#transport.call('listUploadParts', { id }, { method: 'GET' });
      done = ((await listed.json()) as { parts: UploadPart[] }).parts;
    } else {
      const response = await this.#transport.call(
        'createMultipartUpload',
        {},
        {
          method: 'POST',
          body: JSON.stringify({
            name: options.name,
            contentType: options.contentType,
            size,
            ...(options.visibility ? { visibility: options.visibility } : {}),
          }),
          headers: { 'content-type': 'application/json' },
        },
      );
      id = ((await response.json()) as MultipartUploadAnswer).id;
    }
    const uploadId = id;
    // The same part size on every resume: the smallest allowed that fits in 10,000 parts, or the caller's.
    const partSize = Math.max(
      options.partSize ?? 8 * 1024 * 1024,
      5 * 1024 * 1024,
      Math.ceil(size / 10_000),
    );
    const count = Math.max(1, Math.ceil(size / partSize));
    const etags = new Map(done.map((part) => [part.partNumber, part.etag]));
    let sent = done.reduce((sum, part) => sum + part.size, 0);
    options.onProgress?.({ id: uploadId, bytesSent: sent, bytesTotal: size });
    const todo = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !etags.has(n));
    const sendPart = async (partNumber: number): Promise<void> => {
      const bytes = blob.slice((partNumber - 1) * partSize, Math.min(size, partNumber * partSize));
      for (let attempt = 0; ; attempt += 1) {
        try {
          const signed = await this.#transport.call(
            'signUploadPart',
            { id: uploadId, partNumber: String(partNumber) },
            { method: 'POST', ...(options.signal ? { signal: options.signal } : {}) },
          );
          const { url } = (await signed.json()) as { url: string };
          const response = await this.#fetch(url, {
            method: 'PUT',
            body: bytes,
            ...(options.signal ? { signal: options.signal } : {}),
          });
          await response.arrayBuffer().catch(() => undefined);
          const etag = response.headers.get('etag');
          if (!response.ok || !etag)
            throw new ApiError(
              response.status,
              'E_UPLOAD_REFUSED',
              `Part ${partNumber}: the store answered ${response.status}`,
            );
          etags.set(partNumber, etag);
          sent += bytes.size;
          options.onProgress?.({ id: uploadId, bytesSent: sent, bytesTotal: size });
          return;
        } catch (error) {
          if (options.signal?.aborted || attempt >= (options.retries ?? 3)) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
        }
      }
    };
    const queue = [...todo];
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency ?? 4, queue.length) }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift())
          await sendPart(next);
      }),
    );
    const parts = [...etags]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, etag]) => ({ partNumber, etag }));
    const response = await this.#transport.call(
      'completeUpload',
      { id: uploadId },
      {
        method: 'POST',
        body: JSON.stringify({ parts }),
        headers: { 'content-type': 'application/json' },
      },
    );
    return (await response.json()) as StoredFile;
  }

  /** {@link createUpload}, {@link sendUpload} and {@link completeUpload} in one call. */
  async uploadDirect(
    body: Uint8Array | Blob | string,
    options: { name: string; contentType: string; visibility?: Visibility },
  ): Promise<StoredFile> {
    const size =
      typeof body === 'string'
        ? Buffer.byteLength(body)
        : body instanceof Blob
          ? body.size
          : body.length;
    const intent = await this.createUpload({ ...options, size });
    await this.sendUpload(intent, body);
    return this.completeUpload(intent.id);
  }

  /** Makes one of your files public or private, at once; returns its URL as it now works. */
  async setFileVisibility(
    key: string,
    visibility: Visibility,
  ): Promise<IssuedUrl & { key: string; visibility: Visibility }> {
    const response = await this.#transport.call(
      'setFileVisibility',
      { key },
      {
        method: 'PATCH',
        body: JSON.stringify({ visibility }),
        headers: { 'content-type': 'application/json' },
      },
    );
    return (await response.json()) as IssuedUrl & { key: string; visibility: Visibility };
  }

  /** A signed CDN URL for one of your files (public or private), valid for `expiresIn` seconds. */
  async signedUrl(key: string, expiresIn?: number): Promise<IssuedUrl & { key: string }> {
    const query: Record<string, string> =
      expiresIn === undefined ? {} : { expiresIn: String(expiresIn) };
    return (await (
      await this.#transport.call('signedUrl', { key }, { query })
    ).json()) as IssuedUrl & {
      key: string;
    };
  }

  /**
   * A signed on-request render URL (imgproxy's format, served at the CDN's `/img/`) for one of your files or a
   * public one: `options` are imgproxy processing options (`['rs:fill:300:200', 'g:sm']`); without `format` the
   * URL answers AVIF, WebP or JPEG by the loader's `Accept`; `expiresIn` seconds adds an expiry.
   */
  async transformUrl(request: {
    sourceKey: string;
    options?: string[] | string;
    format?: 'jpg' | 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';
    expiresIn?: number;
    encoding?: 'base64' | 'plain';
  }): Promise<{ url: string; path: string; expiresAt?: string }> {
    const response = await this.#transport.call(
      'transformUrl',
      {},
      {
        method: 'POST',
        body: JSON.stringify(request),
        headers: { 'content-type': 'application/json' },
      },
    );
    return (await response.json()) as { url: string; path: string; expiresAt?: string };
  }

  /** Makes every output of a job public or private, at once. */
  async setImageJobVisibility(jobId: string, visibility: Visibility): Promise<ImageJob> {
    const response = await this.#transport.call(
      'setImageJobVisibility',
      { jobId },
      {
        method: 'PATCH',
        body: JSON.stringify({ visibility }),
        headers: { 'content-type': 'application/json' },
      },
    );
    return (await response.json()) as ImageJob;
  }

  /** Queues an image job. With `idempotencyKey`, a repeat returns the same job. */
  async submitImageJob(
    request: ImageJobRequest,
    options: { idempotencyKey?: string } = {},
  ): Promise<{ jobId: string; status: 'queued' }> {
    const response = await this.#transport.call(
      'submitImageJob',
      {},
      {
        method: 'POST',
        body: JSON.stringify(request),
        headers: {
          'content-type': 'application/json',
          ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
        },
      },
    );
    return (await response.json()) as { jobId: string; status: 'queued' };
  }

  /** Your latest jobs (at most `limit`, 1–100, default 20), newest first; jobs the queue has removed are left out. */
  async listImageJobs(limit?: number): Promise<ImageJobList> {
    const query: Record<string, string> = limit === undefined ? {} : { limit: String(limit) };
    return (await (
      await this.#transport.call('listImageJobs', {}, { query })
    ).json()) as ImageJobList;
  }

  /**
   * A job's status, with its result once completed or its error once failed. With `waitSeconds` (1-30) the API
   * holds the answer until the job finishes or that time passes.
   */
  async getImageJob(jobId: string, options: { waitSeconds?: number } = {}): Promise<ImageJob> {
    const query: Record<string, string> = options.waitSeconds
      ? { wait: String(Math.min(30, Math.max(1, Math.round(options.waitSeconds)))) }
      : {};
    return (await (
      await this.#transport.call('getImageJob', { jobId }, { query })
    ).json()) as ImageJob;
  }

  /**
   * Polls a job until it completes or fails (returned either way). Polls that get no answer, a 5xx (an API
   * restarting, Redis failing over) or a 429 (waiting as `Retry-After` says) are repeated until the deadline;
   * other 4xx answers are thrown.
   *
   * @throws {ApiError} `E_TIMEOUT` when the job is still pending after `timeoutMs` (default 120 000).
   */
  async waitForImageJob(
    jobId: string,
    options: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<ImageJob> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    const pollMs = options.pollMs ?? 200;
    for (;;) {
      let waitMs = pollMs;
      try {
        // Long polls: each request waits on the server for up to 20 s (or what is left of the deadline).
        const left = Math.floor((deadline - Date.now()) / 1000);
        const job = await this.getImageJob(
          jobId,
          left >= 1 ? { waitSeconds: Math.min(left, 20) } : {},
        );
        if (job.status === 'completed' || job.status === 'failed') return job;
      } catch (error) {
        if (!(error instanceof ApiError) || !isTransient(error)) throw error;
        waitMs = Math.max(pollMs, (error.retryAfterSeconds ?? 0) * 1000);
      }
      if (Date.now() + waitMs > deadline)
        throw new ApiError(0, 'E_TIMEOUT', `Job ${jobId} did not finish in time`);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** Adds a webhook endpoint for your team; keep the returned `secret` (it is not shown again). */
  async createWebhook(request: {
    url: string;
    events: WebhookEventType[];
    description?: string;
  }): Promise<CreatedWebhook> {
    return (await (
      await this.#transport.call(
        'createWebhook',
        {},
        {
          method: 'POST',
          body: JSON.stringify(request),
          headers: { 'content-type': 'application/json' },
        },
      )
    ).json()) as CreatedWebhook;
  }

  /** Your team's webhook endpoints. */
  async listWebhooks(): Promise<WebhookEndpoint[]> {
    const answer = (await (await this.#transport.call('listWebhooks', {})).json()) as {
      items: WebhookEndpoint[];
    };
    return answer.items;
  }

  async getWebhook(id: string): Promise<WebhookEndpoint> {
    return (await (await this.#transport.call('getWebhook', { id })).json()) as WebhookEndpoint;
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.#transport.call('deleteWebhook', { id }, { method: 'DELETE' });
  }

  /** A new secret; the previous one keeps signing until `previousUntil`. */
  async rotateWebhookSecret(id: string): Promise<{ secret: string; previousUntil?: string }> {
    return (await (
      await this.#transport.call('rotateWebhookSecret', { id }, { method: 'POST' })
    ).json()) as { secret: string; previousUntil?: string };
  }

  /** Recent delivery attempts to an endpoint, newest first. */
  async listWebhookDeliveries(id: string): Promise<WebhookDelivery[]> {
    const answer = (await (await this.#transport.call('listWebhookDeliveries', { id })).json()) as {
      items: WebhookDelivery[];
    };
    return answer.items;
  }

  /** Sends a message to an endpoint again, with the same `webhook-id`. */
  async redeliverWebhook(id: string, eventId: string): Promise<void> {
    await this.#transport.call('redeliverWebhook', { id, eventId }, { method: 'POST' });
  }

  /** Your team's usage; jobs finished over the last `hours` (default 24). */
  async getUsage(hours?: number): Promise<TeamUsage> {
    const query: Record<string, string> = hours === undefined ? {} : { hours: String(hours) };
    return (await (await this.#transport.call('getUsage', {}, { query })).json()) as TeamUsage;
  }
}
