import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { StorageAdapter } from '@monorepo/storage';
import { validateKey } from '@monorepo/storage';
import type { Request, Response } from 'express';
import { STORAGE } from '../tokens.js';

const PREFIX = '/internal/s3-sign/';
/** Long enough for nginx to use it at once; too short to be worth leaking. */
const EXPIRES_IN = 60;

/**
 * For nginx's `auth_request` only (the gateway answers 404 for `/api/internal/…`): a short-lived presigned
 * path for reading one object from S3, so the CDN serves objects the bucket keeps private without the bucket
 * being readable anonymously. Answers `204` with `X-S3-Signed-Path`, or `403` (nginx then answers 404) for a
 * bad key or a backend without signed URLs.
 */
@Controller('internal/s3-sign')
export class S3SignController {
  constructor(@Inject(STORAGE) private readonly storage: StorageAdapter) {}

  @Get('*key')
  async sign(@Req() req: Request, @Res() res: Response): Promise<void> {
    const raw = req.path.startsWith(PREFIX) ? req.path.slice(PREFIX.length) : '';
    let key: string;
    try {
      key = validateKey(raw.split('/').map(decodeURIComponent).join('/'));
    } catch {
      res.status(403).end();
      return;
    }
    if (!this.storage.capabilities.signedUrls || !this.storage.getSignedUrl) {
      res.status(403).end();
      return;
    }
    const url = new URL(await this.storage.getSignedUrl(key, { expiresIn: EXPIRES_IN }));
    res.setHeader('x-s3-signed-path', `${url.pathname}${url.search}`);
    res.setHeader('cache-control', 'no-store');
    res.status(204).end();
  }
}
