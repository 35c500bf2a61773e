import { Controller, Get, Inject, Req, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { ownedKeyOf } from '../files/ownership.js';
import { ApiError } from '../http/api-error.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import { CDN_URLS, STORAGE } from '../tokens.js';
import type { StorageAdapter } from '@monorepo/storage';
import type { CdnUrls, IssuedUrl } from './cdn-urls.js';

const PREFIX = '/v1/signed-urls/';

/**
 * `GET /v1/signed-urls/{key}?expiresIn=600`: a time-limited CDN URL for one of your files, public or private.
 * The CDN checks it on every request without calling the API.
 */
@Controller('v1/signed-urls')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class SignedUrlsController {
  constructor(
    @Inject(STORAGE) private readonly storage: StorageAdapter,
    @Inject(CDN_URLS) private readonly urls: CdnUrls,
  ) {}

  @Get('*key')
  async sign(@Req() req: AuthedRequest): Promise<IssuedUrl & { key: string }> {
    const key = ownedKeyOf(req, PREFIX);
    const raw = req.query.expiresIn;
    if (raw !== undefined && (typeof raw !== 'string' || !/^\d{1,7}$/.test(raw)))
      throw new ApiError('E_VALIDATION', 'expiresIn must be a number of seconds');
    await this.storage.stat(key); // a URL only for a file that exists
    return { key, ...(await this.urls.signed(key, raw === undefined ? undefined : Number(raw))) };
  }
}
