import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import { Controller, HttpCode, Inject, Param, Post, Put, Req, UseGuards } from '@nestjs/common';
import { sniffImageFormat } from '@monorepo/image-processor/contract';
import { isStorageError, uploadPrefix } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import type { UploadIntent } from '@monorepo/tenant-limits';
import { z } from 'zod';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import type { CdnUrls } from '../cdn/cdn-urls.js';
import { sanitizeFilename } from '../files/ownership.js';
import { ApiError, notFound } from '../http/api-error.js';
import { readJsonBody } from '../http/json-body.js';
import type { ApiLimits } from '../limits/api-limits.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import { CDN_URLS, CONFIG, LIMITS, STORAGE } from '../tokens.js';

const intentSchema = z.strictObject({
  name: z.string().min(1).max(255),
  contentType: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+(?:\/[\x21-\x7e]+)?(?:;[\x20-\x7e]*)?$/),
  size: z.number().int().min(0),
  visibility: z.enum(['public', 'private']).optional(),
});
const ID = /^[0-9a-f-]{36}$/;

/**
 * Direct uploads: a client announces a file, sends its bytes without passing them through the API process where
 * the backend allows (a presigned POST to the bucket, which checks key, type and size itself), or once through
 * a single-use URL (local storage), then completes it. Only a completed upload is the user's file; the janitor
 * removes what was uploaded for an intent that expired.
 */
@Controller('v1/uploads')
export class UploadsController {
  constructor(
    @Inject(STORAGE) private readonly storage: StorageAdapter,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LIMITS) private readonly limits: ApiLimits,
    @Inject(CDN_URLS) private readonly urls: CdnUrls,
  ) {}

  /** `{ name, contentType, size, visibility? }` → where and how to send the bytes, until `expiresAt`. */
  @Post()
  @HttpCode(201)
  @UseGuards(ApiKeyGuard, RateLimitGuard)
  async create(@Req() req: AuthedRequest): Promise<unknown> {
    const parsed = intentSchema.safeParse(await readJsonBody(req));
    if (!parsed.success)
      throw new ApiError(
        'E_VALIDATION',
        parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      );
    const { name, contentType, size } = parsed.data;
    if (size > this.config.MAX_UPLOAD_BYTES)
      throw new ApiError(
        'E_TOO_LARGE',
        `Upload is larger than ${this.config.MAX_UPLOAD_BYTES} bytes`,
      );
    const quota = this.limits.usage.quotaFor(req.userId);
    const usage = await this.limits.usage.usage(req.userId);
    if (usage.bytes + size > quota.bytes || usage.objects + 1 > quota.objects)
      throw new ApiError('E_QUOTA_EXCEEDED', 'This upload would exceed your storage quota');
    const ttl = this.config.API_UPLOAD_INTENT_TTL_S;
    const created = await this.limits.intents.create({
      user: req.userId,
      key: `${uploadPrefix(req.userId)}${randomUUID()}/${sanitizeFilename(name)}`,
      contentType,
      size,
      visibility: parsed.data.visibility ?? this.config.API_UPLOAD_VISIBILITY,
      expiresAt: Date.now() + ttl * 1000,
    });
    if (!created)
      throw new ApiError(
        'E_TOO_MANY_UPLOADS',
        `At most ${this.config.API_MAX_OPEN_UPLOADS} direct uploads may be open per key`,
        { 'retry-after': '60' },
      );
    const { intent, token } = created;
    let upload: Record<string, unknown>;
    if (this.storage.capabilities.directUploads && this.storage.createUploadPost) {
      const post = await this.storage.createUploadPost(intent.key, {
        contentType,
        size,
        expiresIn: ttl,
      });
      upload = { method: 'POST', url: post.url, fields: post.fields, fileField: 'file' };
    } else {
      const base =
        this.config.API_PUBLIC_URL ?? `${new URL(this.storage.getPublicUrl('x')).origin}/api`;
      upload = {
        method: 'PUT',
        url: `${base.replace(/\/+$/, '')}/v1/uploads/${intent.id}/body?token=${token}`,
        headers: { 'content-type': contentType },
      };
    }
    return {
      id: intent.id,
      key: intent.key,
      expiresAt: new Date(intent.expiresAt).toISOString(),
      upload,
    };
  }

  /**
   * The bytes of an intent on backends without presigned uploads: no API key, a single-use token instead; exactly
   * the announced type and size, streamed to storage.
   */
  @Put(':id/body')
  @HttpCode(204)
  async body(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    const intent = ID.test(id) ? await this.limits.intents.get(id) : undefined;
    if (!intent) throw notFound();
    const token = req.query.token;
    if (typeof token !== 'string' || !(await this.limits.intents.spendToken(id, token)))
      throw new ApiError('E_UNAUTHORIZED', 'This upload URL is not valid (it works once)');
    if (req.headers['content-type'] !== intent.contentType)
      throw new ApiError('E_UNSUPPORTED_MEDIA_TYPE', `Send Content-Type: ${intent.contentType}`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared !== intent.size)
      throw new ApiError('E_VALIDATION', `The upload must be exactly ${intent.size} bytes`);
    let seen = 0;
    const exact = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        if (seen > intent.size)
          done(new ApiError('E_VALIDATION', `The upload must be exactly ${intent.size} bytes`));
        else done(null, chunk);
      },
    });
    req.pipe(exact);
    try {
      await this.storage.upload(intent.key, exact, intent.contentType, {
        contentLength: intent.size,
        visibility: 'private',
        metadata: { owner: intent.user },
      });
    } catch (error) {
      req.unpipe(exact);
      if (isStorageError(error, 'EINVAL'))
        throw new ApiError('E_VALIDATION', `The upload must be exactly ${intent.size} bytes`);
      throw error;
    }
  }

  /**
   * Makes an uploaded intent one of your files: it must exist with exactly the announced size and, for
   * images, bytes of the announced type, and fit your quota; otherwise it is removed.
   */
  @Post(':id/complete')
  @HttpCode(201)
  @UseGuards(ApiKeyGuard, RateLimitGuard)
  async complete(@Req() req: AuthedRequest, @Param('id') id: string): Promise<unknown> {
    const intent = ID.test(id) ? await this.limits.intents.get(id) : undefined;
    if (!intent || intent.user !== req.userId) throw notFound();
    const info = await this.storage.stat(intent.key).catch((error: unknown) => {
      if (isStorageError(error, 'ENOENT'))
        throw new ApiError('E_VALIDATION', 'Nothing was uploaded for this intent yet');
      throw error;
    });
    if (info.size !== intent.size)
      await this.#refuse(
        intent,
        `The upload has ${info.size} bytes, not the ${intent.size} announced`,
      );
    if (intent.contentType.startsWith('image/')) {
      const head = await this.#head(intent.key);
      const format = await sniffImageFormat(head).catch(() => undefined);
      if (format?.mime !== intent.contentType.split(';')[0]!.trim())
        await this.#refuse(intent, `The upload is not ${intent.contentType}`);
    }
    const reservation = await this.limits.usage
      .begin(req.userId, info.size)
      .catch(async (error) => {
        await this.storage.delete(intent.key);
        await this.limits.intents.close(intent);
        throw error;
      });
    await reservation.commit(info.size);
    await this.storage.setVisibility(intent.key, intent.visibility);
    await this.limits.intents.close(intent);
    return {
      key: intent.key,
      ...(await this.urls.urlFor(intent.key, intent.visibility)),
      size: info.size,
      contentType: info.contentType,
      etag: info.etag,
      visibility: intent.visibility,
    };
  }

  async #refuse(intent: UploadIntent, message: string): Promise<never> {
    await this.storage.delete(intent.key);
    await this.limits.intents.close(intent);
    throw new ApiError('E_VALIDATION', `${message}; it was removed`);
  }

  async #head(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of (await this.storage.downloadStream(key, {
      start: 0,
      end: 64 * 1024 - 1,
    })) as AsyncIterable<Buffer>)
      chunks.push(chunk);
    return Buffer.concat(chunks);
  }
}
