import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { StorageAdapter } from '@monorepo/storage';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import type { CdnUrls } from '../cdn/cdn-urls.js';
import { ApiError } from '../http/api-error.js';
import { readJsonBodyAs } from '../http/json-body.js';
import type { ApiLimits } from '../limits/api-limits.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import { CDN_URLS, CONFIG, LIMITS, STORAGE, WEBHOOKS } from '../tokens.js';
import type { ApiWebhooks } from '../webhooks/api-webhooks.js';
import { partNumberOf } from './multipart.controller.js';
import { companionCreateSchema, companionPartListSchema } from './multipart-schemas.js';
import { MultipartUploads } from './multipart-uploads.js';

/** Companion's part lists may be long: 10,000 parts of ~60 bytes. */
const PART_LIST_LIMIT = 1024 * 1024;

const keyOf = (key: unknown): string => {
  if (typeof key !== 'string' || !key)
    throw new ApiError('E_VALIDATION', 'Send ?key= as Companion does');
  return key;
};

/**
 * Uppy Companion's S3 multipart routes, so `@uppy/aws-s3` with `endpoint` set to this API (and an
 * `Authorization: Bearer` header in `headers`) uploads with no custom code. Companion's `uploadId` is our
 * intent id and its `key` the intent's final key; both must match the caller's own open intent. The same
 * {@link MultipartUploads} as `/v1/uploads/multipart…`: quota, checks, completion and expiry are those of every
 * intent. `GET /s3/params` (single request) is refused: every upload here is completed by the API, which
 * Companion's single-request flow has no step for (set `shouldUseMultipart: true`).
 */
@Controller('s3')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class CompanionController {
  readonly #uploads: MultipartUploads;

  constructor(
    @Inject(STORAGE) storage: StorageAdapter,
    @Inject(CONFIG) config: ApiConfig,
    @Inject(LIMITS) limits: ApiLimits,
    @Inject(CDN_URLS) private readonly urls: CdnUrls,
    @Inject(WEBHOOKS) private readonly webhooks: ApiWebhooks,
  ) {
    this.#uploads = new MultipartUploads(storage, config, limits);
  }

  @Get('params')
  params(): never {
    throw new ApiError(
      'E_VALIDATION',
      'Single-request uploads are not completed by Companion: use multipart (shouldUseMultipart: true)',
    );
  }

  /** `{ filename, type, metadata }` → `{ uploadId, key }`; the size comes from `metadata.size` or is refused. */
  @Post('multipart')
  @HttpCode(200)
  async create(@Req() req: AuthedRequest): Promise<unknown> {
    const body = await readJsonBodyAs(req, companionCreateSchema);
    const size = Number(body.metadata?.size ?? Number.NaN);
    if (!Number.isSafeInteger(size) || size < 1)
      throw new ApiError(
        'E_VALIDATION',
        'Announce the size: add it to the file meta (uppy.setFileMeta(id, { size })) and allowedMetaFields',
      );
    const intent = await this.#uploads.create(req.userId, {
      name: body.filename,
      contentType: body.type,
      size,
    });
    return { uploadId: intent.id, key: intent.key };
  }

  /** Stored parts as `[{ PartNumber, Size, ETag }]`. */
  @Get('multipart/:uploadId')
  async list(
    @Req() req: AuthedRequest,
    @Param('uploadId') uploadId: string,
    @Query('key') key: unknown,
  ): Promise<unknown> {
    const parts = await this.#uploads.listParts(req.userId, uploadId, keyOf(key));
    return parts.map((part) => ({ PartNumber: part.partNumber, Size: part.size, ETag: part.etag }));
  }

  /** `{ url, expires }` for one part. */
  @Get('multipart/:uploadId/:partNumber')
  async sign(
    @Req() req: AuthedRequest,
    @Param('uploadId') uploadId: string,
    @Param('partNumber') partNumber: string,
    @Query('key') key: unknown,
  ): Promise<unknown> {
    const signed = await this.#uploads.signPart(
      req.userId,
      uploadId,
      partNumberOf(partNumber),
      keyOf(key),
    );
    return {
      url: signed.url,
      expires: Math.round((signed.expiresAt.getTime() - Date.now()) / 1000),
    };
  }

  /** `{ parts: [{ PartNumber, ETag }] }` → `{ location }`: the file's URL. */
  @Post('multipart/:uploadId/complete')
  @HttpCode(200)
  async complete(
    @Req() req: AuthedRequest,
    @Param('uploadId') uploadId: string,
    @Query('key') key: unknown,
  ): Promise<unknown> {
    const { parts } = await readJsonBodyAs(req, companionPartListSchema, PART_LIST_LIMIT);
    const intentKey = keyOf(key);
    await this.#uploads.open(req.userId, uploadId, intentKey);
    const event = await this.webhooks.outbox.record(
      'upload.completed',
      req.userId,
      { key: intentKey },
      intentKey,
    );
    const { intent, info } = await this.#uploads.complete(
      req.userId,
      uploadId,
      parts.map((part) => ({ partNumber: part.PartNumber, etag: part.ETag })),
      intentKey,
    );
    await this.webhooks.outbox.release(event);
    const { url } = await this.urls.urlFor(intent.key, intent.visibility);
    return { location: url, key: intent.key, size: info.size, etag: info.etag };
  }

  /** Gives the upload up. */
  @Delete('multipart/:uploadId')
  @HttpCode(200)
  async abort(
    @Req() req: AuthedRequest,
    @Param('uploadId') uploadId: string,
    @Query('key') key: unknown,
  ): Promise<unknown> {
    await this.#uploads.abort(req.userId, uploadId, keyOf(key));
    return {};
  }
}
