import { renderNginxConfig } from './render-nginx-config.js';
import type { NginxRenderOptions } from './render-nginx-config.js';

/** Where the pre-rendered compose configs live, relative to the repo root. */
export const DOCKER_NGINX_FILES = {
  local: 'docker/nginx/rendered/local.conf',
  s3: 'docker/nginx/rendered/s3.conf',
} as const;

const common: Omit<NginxRenderOptions, 'origin'> = {
  cdnPort: 8080,
  apiUpstream: 'api:3000',
  // `docker compose up --scale imaging=N`: the service name resolves to every replica at start.
  imagingUpstream: 'imaging:3002',
  runtimeDir: '/var/cache/nginx',
  maxUploadBytes: 104_857_600,
  errorLog: '/dev/stderr',
  accessLog: '/dev/stdout',
  userDirective: 'user nginx;',
  // Written at container start from CDN_SIGNING_KEYS by docker/nginx/cdn-signing.sh (never committed).
  signingInclude: '/etc/nginx/cdn-signing.conf',
  // Mounted from docker/console. Over S3 the bucket must be reachable from browsers for direct uploads
  // (S3_PUBLIC_ENDPOINT); inside compose it is not, so the console there uploads to local storage only.
  console: { root: '/usr/share/nginx/console' },
};

/** The nginx configs docker-compose mounts: the template rendered for the containers' hosts and paths. */
export function renderDockerNginxConfigs(
  bucket = 'storage',
): Record<keyof typeof DOCKER_NGINX_FILES, string> {
  return {
    local: renderNginxConfig({ ...common, origin: { type: 'local', root: '/var/www/storage' } }),
    s3: renderNginxConfig({ ...common, origin: { type: 's3', upstream: 'minio:9000', bucket } }),
  };
}
