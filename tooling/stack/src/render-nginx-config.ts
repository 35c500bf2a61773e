import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isPublicKey } from '@monorepo/storage';
import { repoRoot } from './repo-root.js';

/** Where `/static/` objects come from. */
export type StaticOrigin =
  { type: 'local'; root: string } | { type: 's3'; upstream: string; bucket: string };

/** Values for `docker/nginx/nginx.conf.template`. */
export interface NginxRenderOptions {
  cdnPort: number;
  /** `host:port` of the API, or of each API process (nginx balances between them). */
  apiUpstream: string | string[];
  origin: StaticOrigin;
  /** Directory for the pid file, temp files and the proxy cache. */
  runtimeDir: string;
  /** Largest request body accepted at `/api/` (the API checks the exact upload limit). */
  maxUploadBytes: number;
  errorLog?: string;
  accessLog?: string;
  mimeTypes?: string;
  /** `user nobody nogroup;` and the like; empty keeps nginx's default. */
  userDirective?: string;
  cacheMaxSize?: string;
  /** Requests per second per client address at `/api/` (default 200), with this burst (default 400). */
  apiRatePerIp?: number;
  apiBurstPerIp?: number;
  /** Open `/api/` connections per client address (default 256). */
  connectionsPerIp?: number;
}

const S3_HIDDEN = [
  'Cache-Control',
  'x-amz-request-id',
  'x-amz-id-2',
  'x-amz-meta-owner',
  'x-amz-meta-job-id',
  'x-amz-meta-tool',
  'Set-Cookie',
];

/**
 * Over S3, the public prefixes (job outputs; the bucket policy set by `storage init` lets anyone read them) are
 * fetched anonymously. Anything else is never read anonymously: an `auth_request` to the API returns a
 * short-lived presigned path (`X-S3-Signed-Path`) that nginx then fetches, so the bucket need not be public.
 */
function staticSource(origin: StaticOrigin, folder: string): string {
  if (origin.type === 'local')
    return `alias ${path.join(origin.root, folder).replace(/\/*$/, '/')};`;
  const isPublic = isPublicKey(folder);
  const fetch = isPublic
    ? [`proxy_pass http://s3_origin/${origin.bucket}/$static_key;`]
    : [
        'auth_request /__s3_sign;',
        'auth_request_set $s3_signed_path $upstream_http_x_s3_signed_path;',
        'proxy_pass http://s3_origin$s3_signed_path;',
      ];
  return [
    ...fetch,
    'proxy_http_version 1.1;',
    'proxy_set_header Connection "";',
    `proxy_set_header Host ${origin.upstream};`,
    'proxy_set_header Authorization "";',
    'proxy_cache objects;',
    // The normalised path: every percent-encoding of one key shares one cache entry.
    'proxy_cache_key $uri;',
    `proxy_cache_valid 200 ${folder === 'uploads/' ? '1m' : '1h'};`,
    'proxy_cache_valid 404 10s;',
    'proxy_cache_lock on;',
    'proxy_cache_revalidate on;',
    'proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;',
    ...S3_HIDDEN.map((header) => `proxy_hide_header ${header};`),
  ].join('\n      ');
}

/** Renders the nginx configuration from the template; every `${VAR}` must get a value. */
export function renderNginxConfig(options: NginxRenderOptions): string {
  const { origin } = options;
  const values: Record<string, string> = {
    CDN_PORT: String(options.cdnPort),
    API_UPSTREAM: [options.apiUpstream]
      .flat()
      .map((server) => `server ${server};`)
      .join('\n    '),
    NGINX_RUNTIME_DIR: options.runtimeDir,
    NGINX_ERROR_LOG: options.errorLog ?? path.join(options.runtimeDir, 'error.log'),
    NGINX_ACCESS_LOG: options.accessLog ?? path.join(options.runtimeDir, 'access.log'),
    NGINX_MIME_TYPES: options.mimeTypes ?? '/etc/nginx/mime.types',
    NGINX_USER_DIRECTIVE: options.userDirective ?? '',
    NGINX_CACHE_MAX_SIZE: options.cacheMaxSize ?? '1g',
    NGINX_API_RATE: String(options.apiRatePerIp ?? 200),
    NGINX_API_BURST: String(options.apiBurstPerIp ?? 400),
    NGINX_CONN_PER_IP: String(options.connectionsPerIp ?? 256),
    // Room for multipart framing around a file of the maximum size.
    NGINX_MAX_BODY: String(options.maxUploadBytes + 1024 * 1024),
    S3_UPSTREAM_BLOCK:
      origin.type === 's3'
        ? `\n  upstream s3_origin {\n    server ${origin.upstream};\n    keepalive 32;\n  }\n`
        : '',
    STATIC_SOURCE_PROCESSED: staticSource(origin, 'processed/'),
    STATIC_SOURCE_GENERATED: staticSource(origin, 'generated/'),
    STATIC_SOURCE_UPLOADS: staticSource(origin, 'uploads/'),
    STATIC_SOURCE_ANY: staticSource(origin, ''),
    S3_SIGN_LOCATION:
      origin.type === 's3'
        ? [
            '# Presigns reads of objects the bucket does not serve anonymously (see staticSource).',
            '    location = /__s3_sign {',
            '      internal;',
            '      proxy_pass http://api/internal/s3-sign/$static_key;',
            '      proxy_pass_request_body off;',
            '      proxy_set_header Content-Length "";',
            '      proxy_http_version 1.1;',
            '      proxy_set_header Connection "";',
            '    }',
          ].join('\n')
        : '',
    STATIC_CACHE_STATUS:
      origin.type === 's3' ? 'add_header X-Cache-Status $upstream_cache_status always;' : '',
  };
  const template = readFileSync(
    path.join(repoRoot(), 'docker', 'nginx', 'nginx.conf.template'),
    'utf8',
  );
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx template variable ${name} has no value`);
    return value;
  });
}
