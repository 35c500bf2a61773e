import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream';
import {
  Controller,
  Delete,
  Get,
  Head,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Monitoring, StorageAdapter } from '@monorepo/storage';
import { validateKey } from '@monorepo/storage';
import type { Response } from 'express';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { ApiError, notFound } from '../http/api-error.js';
import { CONFIG, MONITORING, STORAGE } from '../tokens.js';
import { parseRange } from './http-range.js';
import { ownsKey, sanitizeFilename, uploadRoot } from './ownership.js';
import { incomingFile, sizeLimit, tooLarge } from './upload-body.js';

const PREFIX = '/v1/files/';

/** Stored user content is served as an opaque download that can never run script on our origin. */
function setContentSafetyHeaders(res: Response, key: string): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-security-policy', "sandbox; default-src 'none'");
  if (key.startsWith('uploads/')) {
    const name = key.slice(key.lastIndexOf('/') + 1);
    res.setHeader(
      'content-disposition',
      `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
  }
}

@Controller('v1/files')
@UseGuards(ApiKeyGuard)
export class FilesController {
  constructor(
    @Inject(STORAGE) private readonly storage: StorageAdapter,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(MONITORING) private readonly monitoring: Monitoring,
  ) {}

  /** Streams the body (raw, or multipart field `file`) to `uploads/<user>/<uuid>/<name>`. */
  @Post()
  async upload(@Req() req: AuthedRequest, @Res() res: Response): Promise<void> {
    const max = this.config.MAX_UPLOAD_BYTES;
    const declared = Number(req.headers['content-length']);
    if (
      Number.isFinite(declared) &&
      declared > max + (/multipart/i.test(String(req.headers['content-type'])) ? 64 * 1024 : 0)
    ) {
      throw tooLarge(max);
    }
    const file = await incomingFile(req, max);
    const name = sanitizeFilename(
      typeof req.query.name === 'string' ? req.query.name : file.filename,
    );
    const key = `${uploadRoot(req.userId)}${randomUUID()}/${name}`;
    const limiter = sizeLimit(max);
    const controller = new AbortController();
    const onClose = () => !req.readableEnded && controller.abort();
    req.once('close', onClose);
    // pipe(), not pipeline(): a refused body must leave the request alive, so the 413 can still be answered.
    file.stream.once('error', (error) => limiter.destroy(error));
    file.stream.pipe(limiter);
    try {
      await this.storage.upload(key, limiter, file.contentType, {
        signal: controller.signal,
        metadata: { owner: req.userId },
      });
    } catch (error) {
      file.stream.unpipe(limiter);
      throw error;
    } finally {
      req.off('close', onClose);
    }
    const info = await this.storage.stat(key);
    this.monitoring.increment('upload_bytes_total', {}, info.size);
    res.status(201).json({
      key,
      url: this.storage.getPublicUrl(key),
      size: info.size,
      contentType: info.contentType,
      etag: info.etag,
    });
  }

  /** The caller's uploads, paged; `prefix` is relative to their upload folder. */
  @Get()
  async list(@Req() req: AuthedRequest): Promise<unknown> {
    const { prefix = '', cursor, limit } = req.query as Record<string, string | undefined>;
    if ([prefix, cursor, limit].some((v) => v !== undefined && typeof v !== 'string')) {
      throw new ApiError(400, 'E_VALIDATION', 'prefix, cursor and limit must each be given once');
    }
    const pageSize = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      throw new ApiError(400, 'E_VALIDATION', 'limit must be an integer from 1 to 1000');
    }
    const page = await this.storage.list(`${uploadRoot(req.userId)}${prefix}`, {
      limit: pageSize,
      metadata: true,
      ...(cursor ? { cursor } : {}),
    });
    return {
      items: page.items.map((item) => ({
        key: item.key,
        size: item.size,
        contentType: item.contentType,
        lastModified: item.lastModified.toISOString(),
        url: this.storage.getPublicUrl(item.key),
      })),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    };
  }

  @Get('*key')
  async download(@Req() req: AuthedRequest, @Res() res: Response): Promise<void> {
    await this.#serve(req, res, true);
  }

  @Head('*key')
  async head(@Req() req: AuthedRequest, @Res() res: Response): Promise<void> {
    await this.#serve(req, res, false);
  }

  @Delete('*key')
  @HttpCode(204)
  async remove(@Req() req: AuthedRequest): Promise<void> {
    await this.storage.delete(this.#ownedKey(req));
  }

  #ownedKey(req: AuthedRequest): string {
    const raw = req.path.startsWith(PREFIX) ? req.path.slice(PREFIX.length) : '';
    let key: string;
    try {
      key = raw.split('/').map(decodeURIComponent).join('/');
    } catch {
      throw new ApiError(400, 'E_BAD_KEY', 'The key is not valid percent-encoding');
    }
    validateKey(key);
    if (!ownsKey(req.userId, key)) throw notFound();
    return key;
  }

  async #serve(req: AuthedRequest, res: Response, withBody: boolean): Promise<void> {
    const key = this.#ownedKey(req);
    const info = await this.storage.stat(key);
    res.setHeader('etag', info.etag);
    res.setHeader('last-modified', info.lastModified.toUTCString());
    res.setHeader('accept-ranges', 'bytes');
    res.setHeader('content-type', info.contentType);
    res.setHeader('cache-control', 'private, max-age=0, must-revalidate');
    setContentSafetyHeaders(res, key);
    const inm = req.headers['if-none-match'];
    if (inm && inm.split(',').some((tag) => tag.trim() === info.etag || tag.trim() === '*')) {
      res.status(304).end();
      return;
    }
    const range = parseRange(req.headers.range, info.size);
    if (range === 'unsatisfiable') {
      res.setHeader('content-range', `bytes */${info.size}`);
      throw new ApiError(416, 'ERANGE', 'Range not satisfiable');
    }
    const status = range ? 206 : 200;
    if (range) res.setHeader('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
    res.setHeader('content-length', String(range ? range.end - range.start + 1 : info.size));
    res.status(status);
    if (!withBody || info.size === 0) {
      res.end();
      return;
    }
    const stream = await this.storage.downloadStream(key, range ?? undefined);
    await new Promise<void>((resolve) =>
      pipeline(stream as NodeJS.ReadableStream, res, () => resolve()),
    );
  }
}
