import { Controller, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { StorageAdapter } from '@monorepo/storage';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { readJsonBodyAs } from '../http/json-body.js';
import type { ApiLimits } from '../limits/api-limits.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import { CONFIG, LIMITS, STORAGE } from '../tokens.js';
import { multipartIntentSchema } from './multipart-schemas.js';
import { MultipartUploads, maxPartsFor } from './multipart-uploads.js';
import { MIN_PART_BYTES } from '@monorepo/storage';

/**
 * Our own routes for multipart (resumable) direct uploads: announce, sign a part, list the stored parts (to
 * resume), then `POST /v1/uploads/:id/complete` or `DELETE /v1/uploads/:id` as for every intent. See
 * {@link MultipartUploads}; the Uppy Companion routes (`/s3/multipart…`) use the same intents.
 */
@Controller('v1/uploads')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class MultipartController {
  readonly #uploads: MultipartUploads;

  constructor(
    @Inject(STORAGE) storage: StorageAdapter,
    @Inject(CONFIG) config: ApiConfig,
    @Inject(LIMITS) limits: ApiLimits,
  ) {
    this.#uploads = new MultipartUploads(storage, config, limits);
  }

  /** `{ name, contentType, size, visibility? }` → the intent; send its parts (≥ 5 MiB but the last). */
  @Post('multipart')
  @HttpCode(201)
  async create(@Req() req: AuthedRequest): Promise<unknown> {
    const intent = await this.#uploads.create(
      req.userId,
      await readJsonBodyAs(req, multipartIntentSchema),
    );
    return {
      id: intent.id,
      key: intent.key,
      expiresAt: new Date(intent.expiresAt).toISOString(),
      minPartSize: MIN_PART_BYTES,
      maxParts: maxPartsFor(intent.size),
    };
  }

  /** The parts stored so far: `{ parts: [{ partNumber, etag, size }] }`. */
  @Get(':id/parts')
  async parts(@Req() req: AuthedRequest, @Param('id') id: string): Promise<unknown> {
    return { parts: await this.#uploads.listParts(req.userId, id) };
  }

  /** `{ url, expiresAt }`: PUT the part's bytes there; the response's ETag names the part. */
  @Post(':id/parts/:partNumber')
  @HttpCode(200)
  async signPart(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Param('partNumber') partNumber: string,
  ): Promise<unknown> {
    const signed = await this.#uploads.signPart(req.userId, id, partNumberOf(partNumber));
    return { url: signed.url, expiresAt: signed.expiresAt.toISOString() };
  }
}

/** A path segment as a part number (NaN when it is not one: refused by the caller). */
export function partNumberOf(raw: string): number {
  return /^[0-9]{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
}
