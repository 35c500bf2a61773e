import { Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import {
  ImagingError,
  buildImagingPath,
  outputFormatOf,
  parseTransformOptions,
  signingKeyOf,
} from '@monorepo/image-processor/contract';
import { defaultVisibility, isStorageError, ownsKey, validateKey } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import { z } from 'zod';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { ApiError, notFound } from '../http/api-error.js';
import { readJsonBodyAs } from '../http/json-body.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import { CONFIG, STORAGE } from '../tokens.js';

const body = z
  .object({
    sourceKey: z.string().min(1),
    options: z.union([z.string().max(2000), z.array(z.string().max(500)).max(50)]).optional(),
    format: z.string().optional(),
    expiresIn: z.number().int().min(1).optional(),
    encoding: z.enum(['base64', 'plain']).optional(),
  })
  .strict();

/** What `POST /v1/transform-urls` answers. */
export interface TransformUrl {
  url: string;
  /** The signed path after the service's prefix (`/<signature>/<options>/<source>`). */
  path: string;
  /** When the URL stops working (ISO 8601), when it carries `exp`. */
  expiresAt?: string;
}

/**
 * `POST /v1/transform-urls`: a signed imaging URL (imgproxy's format) for one of your files or a public one, signed
 * with your team's first `IMAGING_KEYS` pair; the options are checked as the imaging service checks them.
 */
@Controller('v1/transform-urls')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class TransformUrlsController {
  constructor(
    @Inject(STORAGE) private readonly storage: StorageAdapter,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post()
  @HttpCode(200)
  async mint(@Req() req: AuthedRequest): Promise<TransformUrl> {
    const parsed = await readJsonBodyAs(req, body);
    const { sourceKey, format, expiresIn, encoding } = parsed;
    const pair = signingKeyOf(this.config.IMAGING_KEYS, req.userId);
    if (!pair) throw new ApiError('E_CONFIG', 'No imaging key is configured for your team');
    validateKey(sourceKey);
    const options = (
      typeof parsed.options === 'string' ? parsed.options.split('/') : (parsed.options ?? [])
    ).filter(Boolean);
    const max = this.config.API_SIGNED_URL_MAX_S;
    if (expiresIn !== undefined && expiresIn > max)
      throw new ApiError('E_VALIDATION', `expiresIn must be at most ${max} seconds`);
    if (options.some((o) => /^(exp|expires):/.test(o)))
      throw new ApiError('E_VALIDATION', 'Give expiresIn rather than an exp option');
    const expiresAt =
      expiresIn === undefined ? undefined : Math.floor(Date.now() / 1000) + expiresIn;
    if (expiresAt !== undefined) options.push(`exp:${expiresAt}`);
    let outputFormat;
    try {
      parseTransformOptions(options, this.config.IMAGING_PRESETS);
      outputFormat = format === undefined ? undefined : outputFormatOf(format);
    } catch (error) {
      if (error instanceof ImagingError) throw new ApiError('E_VALIDATION', error.message);
      throw error;
    }
    // Your own files, and public ones: anything else is not found, whether it exists or not.
    if (!ownsKey(req.userId, sourceKey)) {
      const visibility = await this.storage.stat(sourceKey).then(
        (info) => info.visibility ?? defaultVisibility(sourceKey),
        (error: unknown) => {
          if (isStorageError(error, 'ENOENT')) return 'private';
          throw error;
        },
      );
      if (visibility !== 'public') throw notFound();
    } else if (!(await this.storage.exists(sourceKey))) throw notFound();
    const path = buildImagingPath(options, `local:///${sourceKey}`, pair, {
      ...(outputFormat ? { format: outputFormat } : {}),
      ...(encoding ? { encoding } : {}),
    });
    return {
      url: `${this.config.IMAGING_PUBLIC_URL.replace(/\/$/, '')}${path}`,
      path,
      ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt * 1000).toISOString() } : {}),
    };
  }
}
