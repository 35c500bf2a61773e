import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream';
import {
  Controller,
  Delete,
  Get,
  Head,
  HttpCode,
  Inject,
  Patch,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Monitoring, StorageAdapter, StoredObject } from '@monorepo/storage';
import type { UploadReservation } from '@monorepo/tenant-limits';
import type { Response } from 'express';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import type { CdnUrls } from '../cdn/cdn-urls.js';
import { ApiError } from '../http/api-error.js';
import type { ApiLimits } from '../limits/api-limits.js';
import { CDN_URLS, CONFIG, LIMITS, MONITORING, STORAGE, WEBHOOKS } from '../tokens.js';
import type { ApiWebhooks } from '../webhooks/api-webhooks.js';
import { parseRange } from './http-range.js';
import { isPublicKey, uploadPrefix } from '@monorepo/storage';
import { listedFolderPrefix } from './file-folders.js';
import { ownedKeyOf, readVisibilityBody, sanitizeFilename, visibilityParam } from './ownership.js';
import { incomingFile, sizeLimit, tooLarge } from './upload-body.js';

const PREFIX = '/v1/files/';

/** Stored user content is served as an opaque download that can never run script on our origin. */
function setContentSafetyHeaders(res: Response, key: string): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-security-policy', "sandbox; default-src 'none'");
  if (!isPublicKey(key)) {
    const name = key.slice(key.lastIndexOf('/') + 1);
    res.setHeader(
      'content-disposition',
      `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
  }
}

@Controller('v1/files')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class FilesController {
  constructor(
    @Inject(STORAGE) private readonly storage: StorageAdapter,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(MONITORING) private readonly monitoring: Monitoring,
    @Inject(LIMITS) private readonly limits: ApiLimits,
    @Inject(CDN_URLS) private readonly urls: CdnUrls,
    @Inject(WEBHOOKS) private readonly webhooks: ApiWebhooks,
  ) {}

  /** Streams the body (raw, or multipart field `file`) to `uploads/<user>/<uuid>/<name>`. */
  @Post()
  async upload(@Req() req: AuthedRequest, @Res() res: Response): Promise<void> {
    const max = this.config.MAX_UPLOAD_BYTES;
    const declared = Number(req.headers['content-length']);
    const multipart = /multipart/i.test(String(req.headers['content-type']));
    if (Number.isFinite(declared) && declared > max + (multipart ? 64 * 1024 : 0)) {
      throw tooLarge(max);
    }
    // The quota and an upload slot come first, so a refused upload stores nothing. A raw body reserves its
    // declared length; a multipart one reserves as it streams.
    const reservation = await this.limits.usage.begin(
      req.userId,
      !multipart && Number.isFinite(declared) ? declared : 0,
    );
    let info: StoredObject;
    let event: string | undefined;
    try {
      ({ info, event } = await this.#store(req, reservation));
      await reservation.commit(info.key, info.size);
    } catch (error) {
      await reservation.cancel().catch(() => {});
      throw error;
    }
    await this.webhooks.outbox.release(event);
    this.monitoring.increment('upload_bytes_total', {}, info.size);
    res.status(201).json({
      key: info.key,
      ...(await this.urls.urlFor(info.key, info.visibility)),
      size: info.size,
      contentType: info.contentType,
      etag: info.etag,
      visibility: info.visibility,
    });
  }

  /**
   * Streams the request's file into storage. A client that goes away (abort, socket timeout) stops everything
   * at once: the parser, the body and the storage write, which removes its temporary file or aborts its
   * multipart upload, so nothing is left behind and no descriptor or buffer is held.
   */
  async #store(
    req: AuthedRequest,
    reservation: UploadReservation,
  ): Promise<{ info: StoredObject; event: string | undefined }> {
    const max = this.config.MAX_UPLOAD_BYTES;
    const file = await incomingFile(req, max);
    const name = sanitizeFilename(
      typeof req.query.name === 'string' ? req.query.name : file.filename,
    );
    const key = `${uploadPrefix(req.userId)}${randomUUID()}/${name}`;
    const visibility = visibilityParam(req.query.visibility) ?? this.config.API_UPLOAD_VISIBILITY;
    const limiter = sizeLimit(max, reservation);
    const controller = new AbortController();
    const onClose = () => {
      if (req.readableEnded) return; // the whole body arrived: finish storing it
      const gone = new ApiError('E_CLIENT_GONE', 'The client went away mid-upload');
      controller.abort(gone);
      limiter.destroy(gone);
      file.abort(gone);
    };
    req.once('close', onClose);
    // Recorded before the object exists, sent once it does (see EventOutbox).
    const event = await this.webhooks.outbox.record('upload.completed', req.userId, { key }, key);
    // pipe(), not pipeline(): a refused body must leave the request alive, so the 413 can still be answered.
    file.stream.once('error', (error) => limiter.destroy(error));
    file.stream.pipe(limiter);
    let info: StoredObject;
    try {
      // put answers with what was stored (size, ETag, visibility): no stat afterwards.
      info = await this.storage.put(key, limiter, file.contentType, {
        signal: controller.signal,
        metadata: { owner: req.userId },
        visibility,
      });
    } catch (error) {
      file.stream.unpipe(limiter);
      throw error;
    } finally {
      req.off('close', onClose);
    }
    return { info, event };
  }

  /**
   * The caller's uploads (or, with `folder=outputs&tool=<tool>`, their job outputs of that tool), paged; `prefix`
   * is relative to that folder (`uploads/<user>/` or `processed/<tool>/<user>/`).
   */
  @Get()
  async list(@Req() req: AuthedRequest): Promise<unknown> {
    const {
      prefix = '',
      cursor,
      limit,
      include,
      folder,
      tool,
    } = req.query as Record<string, string | undefined>;
    if (
      [prefix, cursor, limit, include, folder, tool].some(
        (v) => v !== undefined && typeof v !== 'string',
      )
    ) {
      throw new ApiError(
        'E_VALIDATION',
        'prefix, cursor, limit, include, folder and tool must each be given once',
      );
    }
    const base = listedFolderPrefix(req.userId, folder, tool);
    if (include !== undefined && include !== 'visibility')
      throw new ApiError('E_VALIDATION', 'include may only be "visibility"');
    const most = this.config.API_LIST_LIMIT_MAX;
    const pageSize = limit === undefined ? Math.min(100, most) : Number(limit);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > most) {
      throw new ApiError('E_VALIDATION', `limit must be an integer from 1 to ${most}`);
    }
    const page = await this.storage.list(`${base}${prefix}`, {
      limit: pageSize,
      metadata: true,
      ...(cursor ? { cursor } : {}),
    });
    // A signed URL works whatever the object's visibility, and costs no read to find it out.
    const items = await Promise.all(
      page.items.map(async (item) => ({
        key: item.key,
        size: item.size,
        contentType: item.contentType,
        lastModified: item.lastModified.toISOString(),
        // `include=visibility` costs one more read per object (S3: its tags).
        ...(include === 'visibility'
          ? { visibility: item.visibility ?? (await this.storage.stat(item.key)).visibility }
          : {}),
        ...(await this.urls.signed(item.key)),
      })),
    );
    return {
      items,
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

  /** Makes one of your files public or private, at once (the CDN checks it on every request). */
  @Patch('*key')
  async update(@Req() req: AuthedRequest): Promise<unknown> {
    const key = this.#ownedKey(req);
    const visibility = await readVisibilityBody(req);
    const event = await this.webhooks.outbox.record('file.visibility_changed', req.userId, {
      key,
      visibility,
    });
    await this.storage.setVisibility(key, visibility);
    await this.webhooks.outbox.release(event);
    return { key, visibility, ...(await this.urls.urlFor(key, visibility)) };
  }

  /**
   * Deletes one of your files. An upload's quota goes back by exactly what was counted for its key, once, however
   * many deletes race (a key never counted, such as an upload never completed, gives back nothing).
   */
  @Delete('*key')
  @HttpCode(204)
  async remove(@Req() req: AuthedRequest): Promise<void> {
    const key = this.#ownedKey(req);
    const event = (await this.storage.exists(key))
      ? await this.webhooks.outbox.record('file.deleted', req.userId, { key }, key)
      : undefined;
    await this.storage.delete(key);
    if (key.startsWith(uploadPrefix(req.userId))) await this.limits.usage.remove(req.userId, key);
    await this.webhooks.outbox.release(event);
  }

  /** The owned key a request's path names (`/v1/files/<key>`). */
  #ownedKey(req: AuthedRequest): string {
    return ownedKeyOf(req, PREFIX);
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
      throw new ApiError('E_RANGE_NOT_SATISFIABLE', 'Range not satisfiable');
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
