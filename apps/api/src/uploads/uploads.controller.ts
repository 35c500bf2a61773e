import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import {
  Controller,
  Delete,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { isStorageError, uploadPrefix } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import { LimitExceededError, stagingKey } from '@monorepo/tenant-limits';
import type { UploadIntent } from '@monorepo/tenant-limits';
import { z } from 'zod';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import type { CdnUrls } from '../cdn/cdn-urls.js';
import { sanitizeFilename } from '../files/ownership.js';
import { ApiError, notFound } from '../http/api-error.js';
import { readJsonBodyAs } from '../http/json-body.js';
import type { ApiLimits } from '../limits/api-limits.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import { CDN_URLS, CONFIG, LIMITS, STORAGE, WEBHOOKS } from '../tokens.js';
import type { ApiWebhooks } from '../webhooks/api-webhooks.js';
import { IntentCompletion } from './intent-completion.js';
import { normalizeMediaType } from './media-type.js';
import { mediaType, partListSchema } from './multipart-schemas.js';
import { MultipartUploads } from './multipart-uploads.js';

const intentSchema = z.strictObject({
  name: z.string().min(1).max(255),
  contentType: mediaType,
  size: z.number().int().min(0),
  visibility: z.enum(['public', 'private']).optional(),
});
const ID = /^[0-9a-f-]{36}$/;
/** A presigned form may be honoured a little past its expiry by a store whose clock is behind ours. */
const FORM_CLOCK_SLACK_MS = 5_000;

/**
 * Direct uploads: a client announces a file (reserving its size against the quota), sends its bytes to a staging
 * key outside its folder — a presigned POST to the bucket, which checks key, type and size itself, or once
 * through the API with a token (local storage) — then completes it. Only a completed upload is the user's file;
 * see `IntentCompletion` and the intent states in `@monorepo/tenant-limits`.
 */
@Controller('v1/uploads')
export class UploadsController {
  readonly #completion: IntentCompletion;
  readonly #multipart: MultipartUploads;

  constructor(
    @Inject(STORAGE) private readonly storage: StorageAdapter,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LIMITS) private readonly limits: ApiLimits,
    @Inject(CDN_URLS) private readonly urls: CdnUrls,
    @Inject(WEBHOOKS) private readonly webhooks: ApiWebhooks,
  ) {
    this.#completion = new IntentCompletion(
      storage,
      limits.intents,
      limits.usage,
      config.API_REQUEST_TIMEOUT_MS + 60_000,
    );
    this.#multipart = new MultipartUploads(storage, config, limits);
  }

  /** `{ name, contentType, size, visibility? }` → where and how to send the bytes, until `expiresAt`. */
  @Post()
  @HttpCode(201)
  @UseGuards(ApiKeyGuard, RateLimitGuard)
  async create(@Req() req: AuthedRequest): Promise<unknown> {
    const parsed = await readJsonBodyAs(req, intentSchema);
    const { name, contentType, size } = parsed;
    if (size > this.config.MAX_UPLOAD_BYTES)
      throw new ApiError(
        'E_TOO_LARGE',
        `Upload is larger than ${this.config.MAX_UPLOAD_BYTES} bytes`,
      );
    const direct = Boolean(
      this.storage.capabilities.directUploads && this.storage.createUploadPost,
    );
    const id = randomUUID();
    const expiresAt = Date.now() + this.config.API_UPLOAD_INTENT_TTL_S * 1000;
    const created = await this.limits.intents
      .create({
        id,
        user: req.userId,
        key: `${uploadPrefix(req.userId)}${id}/${sanitizeFilename(name)}`,
        contentType,
        size,
        visibility: parsed.visibility ?? this.config.API_UPLOAD_VISIBILITY,
        expiresAt,
        ...(direct ? { formExpiresAt: expiresAt + FORM_CLOCK_SLACK_MS } : {}),
      })
      .catch((error: unknown) => {
        if (error instanceof LimitExceededError && error.code === 'E_TOO_MANY_UPLOADS')
          throw new ApiError(error.code, error.message, { 'retry-after': '60' });
        throw error;
      });
    const { intent, token } = created;
    try {
      return {
        id: intent.id,
        key: intent.key,
        expiresAt: new Date(intent.expiresAt).toISOString(),
        upload: await this.#target(intent, token),
      };
    } catch (error) {
      // No form or URL was handed out: nothing can have been sent, so the reservation goes at once.
      await this.limits.intents
        .abort(intent.user, intent.id)
        .then(() => this.limits.intents.release(intent.user, intent.id))
        .catch(() => undefined);
      throw error;
    }
  }

  /** Where the bytes go: a presigned POST pinning the staging key, type and size; else a PUT to this API. */
  async #target(intent: UploadIntent, token: string): Promise<Record<string, unknown>> {
    if (intent.formExpiresAt !== undefined) {
      // The form expires no later than the intent (whole seconds, rounded down).
      const post = await this.storage.createUploadPost!(stagingKey(intent.id), {
        contentType: intent.contentType,
        size: intent.size,
        expiresIn: Math.max(1, Math.floor((intent.expiresAt - Date.now()) / 1000)),
      });
      return { method: 'POST', url: post.url, fields: post.fields, fileField: 'file' };
    }
    const base =
      this.config.API_PUBLIC_URL ?? `${new URL(this.storage.getPublicUrl('x')).origin}/api`;
    return {
      method: 'PUT',
      url: `${base.replace(/\/+$/, '')}/v1/uploads/${intent.id}/body?token=${token}`,
      headers: { 'content-type': intent.contentType },
    };
  }

  /**
   * The bytes of an intent on backends without presigned uploads: no API key, its token instead (compared and
   * spent in one step, given back if the send fails); exactly the announced type and size, streamed to the
   * staging key while holding an upload slot, and cut off when the intent expires.
   */
  @Put(':id/body')
  @HttpCode(204)
  async body(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    const user = ID.test(id) ? await this.limits.intents.ownerOf(id) : undefined;
    const intent = user ? await this.limits.intents.get(user, id) : undefined;
    if (!user || !intent) throw notFound();
    // Checked before the token: a refused request changes nothing.
    if (normalizeMediaType(req.headers['content-type']) !== intent.contentType)
      throw new ApiError('E_UNSUPPORTED_MEDIA_TYPE', `Send Content-Type: ${intent.contentType}`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared !== intent.size)
      throw new ApiError('E_VALIDATION', `The upload must be exactly ${intent.size} bytes`);
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const started = await this.limits.intents.startSending(user, id, token);
    if (!started.ok) {
      if (started.reason === 'bad-token')
        throw new ApiError('E_UNAUTHORIZED', 'This upload URL is not valid (it works once)');
      if (started.reason === 'busy')
        throw new ApiError(
          'E_TOO_MANY_UPLOADS',
          `At most ${this.limits.usage.maxConcurrentUploads} uploads at a time per key; wait for one to finish`,
          { 'retry-after': '1' },
        );
      throw notFound();
    }
    try {
      await this.#receive(req, intent);
    } catch (error) {
      await this.limits.intents.endSending(user, id, started.slot, false).catch(() => undefined);
      throw error;
    }
    if (!(await this.limits.intents.endSending(user, id, started.slot, true))) {
      // It expired or was aborted while the bytes came in: they are nobody's.
      await this.storage.delete(stagingKey(id));
      throw notFound('This upload expired or was cancelled while its bytes were sent');
    }
  }

  async #receive(req: AuthedRequest, intent: UploadIntent): Promise<void> {
    let seen = 0;
    const exact = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        if (seen > intent.size)
          done(new ApiError('E_VALIDATION', `The upload must be exactly ${intent.size} bytes`));
        else done(null, chunk);
      },
    });
    const controller = new AbortController();
    const expiry = setTimeout(
      () => controller.abort(notFound('The upload expired while its bytes were sent')),
      Math.max(0, intent.expiresAt - Date.now()),
    );
    const onClose = () => {
      if (!req.readableEnded)
        controller.abort(new ApiError('E_CLIENT_GONE', 'The client went away'));
    };
    req.once('close', onClose);
    req.pipe(exact);
    try {
      await this.storage.upload(stagingKey(intent.id), exact, intent.contentType, {
        contentLength: intent.size,
        visibility: 'private',
        metadata: { owner: intent.user },
        signal: controller.signal,
      });
    } catch (error) {
      req.unpipe(exact);
      if (isStorageError(error, 'EINVAL'))
        throw new ApiError('E_VALIDATION', `The upload must be exactly ${intent.size} bytes`);
      throw error;
    } finally {
      clearTimeout(expiry);
      req.off('close', onClose);
    }
  }

  /**
   * One part of a multipart upload on local storage: the part URLs `POST /v1/uploads/:id/parts/:n` hands out
   * point here. No API key: the URL is the credential (signed for one part of one upload, up to a size, until
   * it expires, once). Streamed into the store's staging area; answers the part's `ETag`.
   */
  @Put('multipart/part')
  @HttpCode(200)
  async part(@Req() req: AuthedRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    const declared = req.headers['content-length'];
    const controller = new AbortController();
    const onClose = () => {
      if (!req.readableEnded)
        controller.abort(new ApiError('E_CLIENT_GONE', 'The client went away'));
    };
    req.once('close', onClose);
    try {
      const part = await this.#multipart.receivePart(req.originalUrl ?? req.url, req, {
        ...(declared === undefined ? {} : { contentLength: Number(declared) }),
        signal: controller.signal,
      });
      res.setHeader('etag', part.etag);
    } catch (error) {
      if (isStorageError(error, 'EINVAL')) throw new ApiError('E_VALIDATION', error.message);
      throw error;
    } finally {
      req.off('close', onClose);
    }
  }

  /**
   * Makes a sent upload one of your files: exactly the announced size, for images bytes of the announced type
   * (its reservation becomes the counted object); otherwise the bytes are removed.
   */
  @Post(':id/complete')
  @HttpCode(201)
  @UseGuards(ApiKeyGuard, RateLimitGuard)
  async complete(@Req() req: AuthedRequest, @Param('id') id: string): Promise<unknown> {
    if (!ID.test(id)) throw notFound();
    const announced = await this.limits.intents.get(req.userId, id);
    // Recorded before the file exists (the intent names its key), sent once it does (see EventOutbox).
    const event = announced
      ? await this.webhooks.outbox.record(
          'upload.completed',
          req.userId,
          { key: announced.key },
          announced.key,
        )
      : undefined;
    // A multipart intent may name its parts (`{ parts: [{ partNumber, etag }] }`), checked against the store's.
    const { intent, info } = announced?.multipartUploadId
      ? await this.#multipart.complete(
          req.userId,
          id,
          req.headers['content-length'] && req.headers['content-length'] !== '0'
            ? (await readJsonBodyAs(req, partListSchema, 1024 * 1024)).parts
            : undefined,
        )
      : await this.#completion.complete(req.userId, id);
    await this.webhooks.outbox.release(event);
    return {
      key: intent.key,
      ...(await this.urls.urlFor(intent.key, intent.visibility)),
      size: info.size,
      contentType: info.contentType,
      etag: info.etag,
      visibility: intent.visibility,
    };
  }

  /** Gives up an upload not yet completed: whatever was sent goes, and its reservation is released. */
  @Delete(':id')
  @HttpCode(204)
  @UseGuards(ApiKeyGuard, RateLimitGuard)
  async abort(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    if (!ID.test(id) || !(await this.#abort(req.userId, id)))
      throw notFound('No such upload in progress (completed, expired, or not yours)');
  }

  async #abort(user: string, id: string): Promise<boolean> {
    if ((await this.limits.intents.get(user, id))?.multipartUploadId)
      return this.#multipart.abort(user, id).then(
        () => true,
        () => false,
      );
    const aborted = await this.limits.intents.abort(user, id);
    if (!aborted) return false;
    // A presigned form still works until it expires: the janitor removes what it wrote, then releases.
    if (!aborted.form) {
      await this.storage.delete(stagingKey(id));
      await this.limits.intents.release(user, id);
    }
    return true;
  }
}
