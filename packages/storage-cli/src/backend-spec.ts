import path from 'node:path';
import { ConfigError, loadStorageConfig } from '@monorepo/storage';
import type { StorageConfig } from '@monorepo/storage';

/**
 * Turns a backend description into a storage config:
 * - `env` — the `STORAGE_*`/`S3_*` environment; `env:SRC_` — the same variables with a prefix (`SRC_STORAGE_TYPE`, …);
 * - `local:/path` (or `local:./relative`);
 * - `s3://bucket/optional/prefix` — endpoint, region and credentials from `S3_*` in the environment.
 *
 * @throws {ConfigError} for anything else.
 */
export function parseBackendSpec(
  spec: string,
  env: NodeJS.ProcessEnv = process.env,
): StorageConfig {
  if (spec === 'env' || spec.startsWith('env:')) {
    const prefix = spec.slice(4);
    const scoped = prefix
      ? Object.fromEntries(
          Object.entries(env)
            .filter(([k]) => k.startsWith(prefix))
            .map(([k, v]) => [k.slice(prefix.length), v]),
        )
      : env;
    return loadStorageConfig(scoped);
  }
  if (spec.startsWith('local:')) {
    const dir = spec.slice('local:'.length);
    if (!dir)
      throw new ConfigError('local: needs a directory, e.g. local:/var/www/storage', [
        'backend: local path missing',
      ]);
    return {
      type: 'local',
      baseUrl: env.STORAGE_BASE_URL ?? 'http://localhost/static',
      localBasePath: path.resolve(dir),
    };
  }
  if (spec.startsWith('s3://')) {
    const rest = spec.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix =
      slash < 0
        ? ''
        : rest
            .slice(slash + 1)
            .replace(/\/*$/, '/')
            .replace(/^\/$/, '');
    if (!bucket)
      throw new ConfigError('s3:// needs a bucket, e.g. s3://my-bucket/prefix', [
        'backend: bucket missing',
      ]);
    const accessKeyId = env.S3_ACCESS_KEY_ID;
    const secretAccessKey = env.S3_SECRET_ACCESS_KEY;
    return {
      type: 's3',
      ...(env.STORAGE_BASE_URL ? { baseUrl: env.STORAGE_BASE_URL } : {}),
      s3: {
        bucket,
        region: env.S3_REGION ?? 'us-east-1',
        ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
        ...(accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : {}),
        ...(env.S3_FORCE_PATH_STYLE ? { forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true' } : {}),
        ...(prefix ? { prefix } : {}),
      },
    };
  }
  throw new ConfigError(
    `Unknown backend ${JSON.stringify(spec)}: use env, env:PREFIX_, local:/path or s3://bucket/prefix`,
    ['backend: unknown form'],
  );
}

/** A short description of a backend for messages (no credentials). */
export function describeBackend(config: StorageConfig): string {
  return config.type === 'local'
    ? `local:${config.localBasePath}`
    : `s3://${config.s3.bucket}/${config.s3.prefix ?? ''}`;
}
