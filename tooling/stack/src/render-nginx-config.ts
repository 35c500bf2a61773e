import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isPublicKey } from '@monorepo/storage';
import type { CdnSigningKey } from '@monorepo/storage';
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
  /** Path of the include written by {@link renderSigningInclude} (or by docker's entrypoint). */
  signingInclude: string;
  /**
   * The console page: its directory, and the origins its Content-Security-Policy allows beyond its own — images
   * (the CDN's origin when it is named differently) and uploads (the bucket's endpoint, over S3).
   */
  console: { root: string; imgOrigins?: readonly string[]; connectOrigins?: readonly string[] };
  /** Web origins whose pages may call the API from a browser (CORS); default none. */
  corsOrigins?: readonly string[];
  /** `host:port` of each imaging process behind `/img/` (none: `/img/` answers 503). */
  imagingUpstream?: string | string[];
  /** Largest size of the `/img/` render cache (default `1g`). */
  renderCacheMaxSize?: string;
}

/** The internal path the imaging service's `X-Accel-Redirect` names for a stored render (local storage). */
export const IMAGING_ACCEL_PATH = '/__imaging';

/**
 * Where the imaging origin gateway serves stored renders from, on local storage: `derived/` itself (internal only;
 * the `-vary` one for negotiated URLs). Over S3 the service streams them and there is nothing to serve here.
 */
function imagingDerivedLocations(origin: StaticOrigin): string {
  if (origin.type === 's3') return '';
  const dir = path.join(origin.root, 'derived').replace(/\/*$/, '/');
  const block = (name: string, vary: boolean) =>
    [
      `location ^~ ${IMAGING_ACCEL_PATH}/${name}/ {`,
      '  internal;',
      `  alias ${dir};`,
      '  add_header X-Content-Type-Options nosniff always;',
      ...(vary ? ['  add_header Vary Accept always;'] : []),
      '}',
    ].join('\n    ');
  return [block('derived', false), block('derived-vary', true)].join('\n    ');
}

/**
 * Who may read a local file: its folder's default visibility, unless a marker says otherwise, and anyone with
 * a valid signature; a signature that does not hold is refused. (Over S3 the bucket decides.)
 */
function staticAccess(origin: StaticOrigin, byDefault: 'public' | 'private'): string[] {
  if (origin.type === 's3') return [];
  return [
    // nginx would cache a marker's existence for open_file_cache_valid: off, so a change takes effect at once.
    'open_file_cache off;',
    `set $static_denied ${byDefault === 'public' ? 0 : 1};`,
    byDefault === 'public'
      ? 'if (-f $private_marker) { set $static_denied 1; }'
      : 'if (-f $public_marker) { set $static_denied 0; }',
    'if ($cdn_signed) { set $static_denied 0; }',
    'if ($cdn_bad_signature) { return 403; }',
    'if ($static_denied) { return 403; }',
  ];
}

/**
 * The nginx include that maps `kid` to its secret for `secure_link` (every key verifies; the first signs).
 * Written beside the runtime files, never committed; docker's entrypoint writes the same from the environment.
 */
export function renderSigningInclude(keys: readonly CdnSigningKey[]): string {
  const lines = keys.map((key) => `  "${key.id}" "${key.secret}";`);
  return ['map $arg_kid $cdn_signing_secret {', '  default "";', ...lines, '}', ''].join('\n');
}

const S3_HIDDEN = [
  'Cache-Control',
  'x-amz-request-id',
  'x-amz-id-2',
  'x-amz-meta-owner',
  'x-amz-meta-job-id',
  'x-amz-meta-tool',
  'x-amz-meta-model',
  'x-amz-meta-source-sha256',
  'Set-Cookie',
];

/**
 * Where a static folder's bytes come from. Local: the files themselves. S3: the bucket, fetched anonymously,
 * or with the request's own presigned query when it carries one (the bucket checks it); the bucket policy set
 * by `storage init` decides what anonymous requests get, from each object's visibility tag.
 * Signed requests bypass the shared cache, so a private object is never cached under a key that skips the check.
 */
function staticSource(origin: StaticOrigin, folder: string): string {
  if (origin.type === 'local')
    return `alias ${path.join(origin.root, folder).replace(/\/*$/, '/')};`;
  return [
    `proxy_pass http://s3_origin/${origin.bucket}/$static_key$s3_query;`,
    // The normalised path: every percent-encoding of one key shares one cache entry.
    ...s3Proxy(origin, '$uri'),
    // Uploads (and keys outside the layout) are private by default and may change visibility often: never held
    // in the shared cache. Public job outputs are, for an hour: making one private reaches the cache that late.
    ...(isPublicKey(folder)
      ? ['proxy_cache_bypass $s3_signed;', 'proxy_no_cache $s3_signed;']
      : ['proxy_cache_bypass 1;', 'proxy_no_cache 1;']),
  ].join('\n      ');
}

/** Fetching from the bucket through the shared cache, under `cacheKey`; the bucket's refusals answer as JSON. */
function s3Proxy(origin: Extract<StaticOrigin, { type: 's3' }>, cacheKey: string): string[] {
  return [
    'proxy_intercept_errors on;',
    'proxy_http_version 1.1;',
    'proxy_set_header Connection "";',
    `proxy_set_header Host ${origin.upstream};`,
    'proxy_set_header Authorization "";',
    'proxy_cache objects;',
    `proxy_cache_key ${cacheKey};`,
    'proxy_cache_valid 200 1h;',
    'proxy_cache_valid 404 10s;',
    'proxy_cache_lock on;',
    'proxy_cache_revalidate on;',
    'proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;',
    ...S3_HIDDEN.map((header) => `proxy_hide_header ${header};`),
  ];
}

/** An extensionless job output: `processed/<dirs>/<name>-<stamp>` (the image processor's negotiated URL). */
const NEGOTIATED_PATH =
  '"^/static/processed/(?<neg_dir>(?:[A-Za-z0-9_-]+/)+)(?<neg_name>[a-z0-9][a-z0-9-]{0,63}-[0-9a-f]{12})$"';

const NEGOTIATED_HEADERS = [
  'add_header Vary Accept always;',
  'add_header Cache-Control $outputs_cache_control always;',
  'add_header X-Content-Type-Options nosniff always;',
  'add_header X-Request-Id $request_id always;',
];

/**
 * Serves `<name>-<stamp>` as `<name>-<stamp>.<avif|webp|jpg>`, the best the client accepts. Local: the first
 * that exists, checked by the same access rules as the file itself ({@link staticAccess}), then an internal
 * rewrite (so the type comes from the extension). S3: the best accepted, else JPEG, each cached under its own key.
 */
function negotiatedLocations(origin: StaticOrigin): string {
  const block = (head: string, lines: readonly string[]) =>
    [`location ${head} {`, ...lines.map((line) => `  ${line}`), '}'].join('\n    ');
  if (origin.type === 'local') {
    const dir = path.join(origin.root, 'processed').replace(/\/*$/, '/');
    const file = `${dir}$neg_dir$neg_name.$neg_ext`;
    return [
      block(`~ ${NEGOTIATED_PATH}`, [
        // The chosen file is the request's file, so the folder's access rules (markers, signatures) apply to it.
        `alias ${file};`,
        'set $neg_ext $neg_first;',
        `if (!-f ${file}) { set $neg_ext $neg_second; }`,
        `if (!-f ${file}) { set $neg_ext jpg; }`,
        ...staticAccess(origin, 'public'),
        'rewrite ^ /__negotiated/$neg_dir$neg_name.$neg_ext last;',
      ]),
      block('/__negotiated/', ['internal;', `alias ${dir};`, ...NEGOTIATED_HEADERS]),
    ].join('\n    ');
  }
  const target = (ext: string) =>
    `proxy_pass http://s3_origin/${origin.bucket}/processed/$neg_dir$neg_name.${ext};`;
  return [
    block(`~ ${NEGOTIATED_PATH}`, [
      'set $neg_ext $neg_first;',
      target('$neg_ext'),
      ...s3Proxy(origin, '$uri.$neg_ext'),
      'recursive_error_pages on;',
      'error_page 403 404 = @negotiated_jpeg;',
      ...NEGOTIATED_HEADERS,
      'add_header X-Cache-Status $upstream_cache_status always;',
    ]),
    block('@negotiated_jpeg', [
      target('jpg'),
      ...s3Proxy(origin, '$uri.jpg'),
      'recursive_error_pages on;',
      // The bucket answers 403 for a key that does not exist (anonymous callers may not list).
      'error_page 403 404 =404 /__error/404;',
      ...NEGOTIATED_HEADERS,
      'add_header X-Cache-Status $upstream_cache_status always;',
    ]),
  ].join('\n    ');
}

/** Renders the nginx configuration from the template; every `${VAR}` must get a value. */
export function renderNginxConfig(options: NginxRenderOptions): string {
  const { origin } = options;
  const values: Record<string, string> = {
    CDN_PORT: String(options.cdnPort),
    API_UPSTREAM: [options.apiUpstream]
      .flat()
      .map((server) => `server ${server} max_fails=1 fail_timeout=5s;`)
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
    NEGOTIATED_LOCATIONS: negotiatedLocations(origin),
    CDN_SIGNING_INCLUDE: options.signingInclude,
    CORS_ORIGIN_MAP: (options.corsOrigins ?? [])
      .map((origin) => {
        if (!/^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(origin))
          throw new Error(`CORS origin ${JSON.stringify(origin)} must be scheme://host[:port]`);
        return `    "${origin}" $http_origin;`;
      })
      .join('\n'),
    CONSOLE_ROOT: options.console.root.replace(/\/*$/, '/'),
    CONSOLE_IMG_SRC: (options.console.imgOrigins ?? []).join(' '),
    CONSOLE_CONNECT_SRC: (options.console.connectOrigins ?? []).join(' '),
    STATIC_ACCESS_PUBLIC_BY_DEFAULT: staticAccess(origin, 'public').join('\n      '),
    STATIC_ACCESS_PRIVATE_BY_DEFAULT: staticAccess(origin, 'private').join('\n      '),
    IMAGING_UPSTREAM: [options.imagingUpstream ?? []].flat().length
      ? [options.imagingUpstream]
          .flat()
          .map((server) => `server ${server};`)
          .join('\n    ')
      : 'server 127.0.0.1:9 down;',
    NGINX_RENDER_CACHE_MAX_SIZE: options.renderCacheMaxSize ?? '1g',
    IMAGING_DERIVED_LOCATIONS: imagingDerivedLocations(origin),
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
