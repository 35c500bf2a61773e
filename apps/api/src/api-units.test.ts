import 'reflect-metadata';
import { InvalidKeyError, NotFoundError, StorageUnavailableError } from '@monorepo/storage';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseApiKeys } from './auth/api-keys.js';
import { FilesController } from './files/files.controller.js';
import { parseRange } from './files/http-range.js';
import { ownsKey } from '@monorepo/storage';
import { sanitizeFilename } from './files/ownership.js';
import { SignedUrlsController } from './cdn/signed-urls.controller.js';
import { CompanionController } from './uploads/companion.controller.js';
import { MultipartController } from './uploads/multipart.controller.js';
import { UploadsController } from './uploads/uploads.controller.js';
import { HealthController } from './health/health.controller.js';
import { ApiError } from './http/api-error.js';
import { toHttpError } from './http/error-mapping.js';
import { INTERNAL_PATHS, foldedPath } from './http/internal-paths.js';
import { normalizeMediaType } from './uploads/media-type.js';
import { ImagesController } from './images/images.controller.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { TransformUrlsController } from './imaging/transform-urls.controller.js';
import { UsageController } from './usage/usage.controller.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { API_ROUTES } from '@monorepo/api-client';
import type {
  TeamUsage as ClientTeamUsage,
  WebhookDelivery,
  ImageJob,
  ImageJobRequest as ClientJobRequest,
  ImageJobResult,
  ImageToolName,
  FileFolder as ClientFileFolder,
} from '@monorepo/api-client';
import { FILE_FOLDERS, listedFolderPrefix } from './files/file-folders.js';
import type { FileFolder } from './files/file-folders.js';
import type { ImageJobRequest, ImageTool, ProcessResult } from '@monorepo/image-processor/contract';
import { IMAGE_TOOLS } from '@monorepo/image-processor/contract';
import type { DeliveryAttempt } from '@monorepo/webhooks';
import type { TeamUsage } from './usage/team-usage.js';

describe('API keys', () => {
  it('maps keys to users, allows several keys per user, and rejects malformed entries', () => {
    const [k1, k2, k3] = ['k1', 'k2', 'k3'].map((p) => `${p}-0123456789abcdefghijklmnopqrstuv`);
    const ring = parseApiKeys(`${k1}:user-1, ${k2}:user-2,${k3}:user-1`);
    expect(ring.size).toBe(3);
    expect(ring.userFor(k1!)).toBe('user-1');
    expect(ring.userFor(k3!)).toBe('user-1');
    expect(ring.userFor(k2!)).toBe('user-2');
    expect(ring.userFor('nope')).toBeUndefined();
    expect(() => parseApiKeys('short:user')).toThrow(/32-256/);
    expect(() => parseApiKeys(`${k1}:bad user`)).toThrow(/userId/);
    expect(() => parseApiKeys('  ,  ')).toThrow(/no keys/);
    // Keys shorter than 32 characters and placeholders from docs are refused, saying how to make a real one.
    expect(() => parseApiKeys('0123456789abcdef0123456789abcde:u')).toThrow(/make api-key/);
    expect(() => parseApiKeys('change-me-0123456789abcdef0123456789:u')).toThrow(
      /placeholder.*make api-key/,
    );
    expect(() => parseApiKeys(`${'a'.repeat(40)}:u`)).toThrow(/placeholder/);
    // A refused entry never echoes its key, whichever rule it breaks.
    const secret = 'secret-key-value-0123456789-abcdefghij';
    for (const [entry, rule] of [
      [`${secret}:bad/user`, /userId/],
      [`${secret.slice(0, 20)}:user`, /32-256/],
      [`change-me-${secret}:user`, /placeholder/],
    ] as const) {
      expect(() => parseApiKeys(entry)).toThrow(rule);
      expect(() => parseApiKeys(entry)).not.toThrow(secret.slice(0, 20));
    }
  });
});

describe('ownership and file names', () => {
  it('lets a user reach only their uploads and job outputs', () => {
    expect(ownsKey('u1', 'uploads/u1/x/a.jpg')).toBe(true);
    expect(ownsKey('u1', 'processed/dall-e/u1/j/normal.jpg')).toBe(true);
    expect(ownsKey('u1', 'generated/sora/u1/j/original.png')).toBe(true);
    expect(ownsKey('u1', 'uploads/u10/x/a.jpg')).toBe(false);
    expect(ownsKey('u1', 'processed/dall-e/u2/j/normal.jpg')).toBe(false);
    expect(ownsKey('u1', 'processed/u1/x')).toBe(false);
    expect(ownsKey('u1', 'other/u1/x')).toBe(false);
  });

  it.each([
    ['photo.jpg', 'photo.jpg'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\\\Users\\\\x\\\\évian .png', 'évian .png'],
    ['.htaccess', 'htaccess'],
    ['a<b>c"d|e?.txt', 'a_b_c_d_e_.txt'],
    ['', 'file'],
    ['...', 'file'],
    ['😀.gif', '_.gif'],
  ])('sanitizes %j to %j', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });
});

describe('Range header', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=95-500', 100, { start: 95, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=5-2', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=0-1,5-6', 100, undefined],
    ['items=0-1', 100, undefined],
    [undefined, 100, undefined],
  ])('%s on %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('strict paths and media types', () => {
  it('folds every spelling a lenient router would take for an internal endpoint', () => {
    for (const path of [
      '/Metrics',
      '/metrics/',
      '//metrics',
      '/./metrics',
      '/v1/../metrics',
      '/%6detrics',
      '/%256detrics',
      '/METRICS%2F',
    ])
      expect(foldedPath(path), path).toBe('/metrics');
    expect(INTERNAL_PATHS.has(foldedPath('/OpenAPI.json/'))).toBe(true);
    expect(foldedPath('/v1/files/a%2Fb')).toBe('/v1/files/a/b');
  });

  it('normalises media types, whatever their letter case', () => {
    expect(normalizeMediaType('Image/PNG')).toBe('image/png');
    expect(normalizeMediaType('TEXT/plain; Charset=UTF-8')).toBe('text/plain; charset=UTF-8');
    expect(normalizeMediaType('image/png, text/html')).toBeUndefined();
    expect(normalizeMediaType('png')).toBeUndefined();
    expect(normalizeMediaType(undefined)).toBeUndefined();
  });
});

describe('error mapping', () => {
  it('maps storage codes in one place and hides internals', () => {
    // Storage's POSIX-style codes answer as the platform codes they stand for.
    expect(toHttpError(new NotFoundError('gone'))).toMatchObject({
      status: 404,
      code: 'E_NOT_FOUND',
    });
    expect(toHttpError(new InvalidKeyError('bad'))).toMatchObject({
      status: 400,
      code: 'E_VALIDATION',
    });
    expect(toHttpError(new StorageUnavailableError('S3 at 10.0.0.5 refused'))).toMatchObject({
      status: 503,
      message: 'Storage is unavailable',
    });
    expect(toHttpError(new ApiError('E_IDEMPOTENCY_CONFLICT', 'conflict'))).toMatchObject({
      status: 409,
      code: 'E_IDEMPOTENCY_CONFLICT',
    });
    expect(toHttpError(new Error('Connection is closed.'))).toMatchObject({
      status: 503,
      code: 'E_UNAVAILABLE',
    });
    expect(toHttpError(new TypeError('secret internal detail'))).toEqual({
      status: 500,
      code: 'E_INTERNAL',
      message: 'Internal server error',
      headers: {},
    });
  });
});

describe('OpenAPI document', () => {
  it('lists every route the controllers register, and nothing else', () => {
    const routes = new Set<string>();
    for (const controller of [
      FilesController,
      ImagesController,
      HealthController,
      SignedUrlsController,
      UploadsController,
      MultipartController,
      CompanionController,
      TransformUrlsController,
      WebhooksController,
      UsageController,
    ]) {
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as unknown as Record<string, unknown>)[name];
        const method = Reflect.getMetadata(METHOD_METADATA, handler as object) as
          RequestMethod | undefined;
        if (method === undefined || typeof handler !== 'function') continue;
        const sub = String(Reflect.getMetadata(PATH_METADATA, handler as object));
        const route = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`
          .replace('*key', '{key}')
          .replace(':jobId', '{jobId}')
          .replace(':id', '{id}')
          .replace(':eventId', '{eventId}')
          .replace(':uploadId', '{uploadId}')
          .replace(':partNumber', '{partNumber}');
        routes.add(`${RequestMethod[method].toLowerCase()} ${route}`);
      }
    }
    const documented = new Set<string>();
    for (const [route, methods] of Object.entries(OPENAPI_DOCUMENT.paths)) {
      for (const method of Object.keys(methods)) documented.add(`${method} ${route}`);
    }
    expect([...routes].sort()).toEqual([...documented].sort());
  });
});

describe('the typed client', () => {
  it('calls exactly the /v1 routes the OpenAPI document describes', () => {
    const documented = new Set<string>();
    for (const [route, methods] of Object.entries(OPENAPI_DOCUMENT.paths))
      if (route.startsWith('/v1/'))
        for (const method of Object.keys(methods)) documented.add(`${method} ${route}`);
    const called = Object.values(API_ROUTES).map(({ method, path }) => `${method} ${path}`);
    expect(new Set(called).size).toBe(called.length);
    expect(called.sort()).toEqual([...documented].sort());
  });

  it('speaks the job contract: request, tools and result types match', () => {
    expectTypeOf<ClientJobRequest>().toExtend<ImageJobRequest>();
    expectTypeOf<ImageToolName>().toEqualTypeOf<`${ImageTool}`>();
    expectTypeOf<ImageJobResult>().toEqualTypeOf<ProcessResult>();
    expectTypeOf<NonNullable<ImageJob['error']>['code']>().toEqualTypeOf<string>();
    expectTypeOf<ClientTeamUsage>().toEqualTypeOf<TeamUsage>();
    expectTypeOf<WebhookDelivery>().toEqualTypeOf<DeliveryAttempt>();
    expectTypeOf<ClientFileFolder>().toEqualTypeOf<FileFolder>();
  });

  it("lists the folders the OpenAPI document names, each the caller's own", () => {
    const list: readonly { name: string; schema: { type?: string; enum?: readonly string[] } }[] =
      OPENAPI_DOCUMENT.paths['/v1/files'].get.parameters;
    expect(list.find((p) => p.name === 'folder')?.schema.enum).toEqual([...FILE_FOLDERS]);
    expect(list.find((p) => p.name === 'tool')?.schema.enum).toEqual([...IMAGE_TOOLS].sort());
    expect(listedFolderPrefix('u1', undefined, undefined)).toBe('uploads/u1/');
    expect(listedFolderPrefix('u1', 'outputs', 'sora')).toBe('processed/sora/u1/');
    for (const [folder, tool] of [
      ['outputs', undefined],
      ['outputs', 'nope'],
      ['uploads', 'sora'],
      ['processed', undefined],
      ['outputs', '../x'],
    ] as const)
      expect(() => listedFolderPrefix('u1', folder, tool)).toThrow(ApiError);
  });
});
