import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3StorageConfig } from './s3-storage-config.js';

/** Whether requests address the bucket in the path (`endpoint/bucket/key`): the default with a custom endpoint. */
export function usesPathStyle(config: S3StorageConfig): boolean {
  return config.s3.forcePathStyle ?? Boolean(config.s3.endpoint);
}

/**
 * The SDK client a config describes: standard retries (`maxAttempts`, default 5), keep-alive sockets (64 per
 * host), connect and socket timeouts, and checksums only where required (many S3-compatible stores reject
 * the SDK's newer default integrity checksums).
 */
export function buildS3Client(config: S3StorageConfig): S3Client {
  const { s3 } = config;
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: usesPathStyle(config),
    credentials:
      s3.accessKeyId && s3.secretAccessKey
        ? {
            accessKeyId: s3.accessKeyId,
            secretAccessKey: s3.secretAccessKey,
            sessionToken: s3.sessionToken,
          }
        : undefined,
    maxAttempts: s3.maxAttempts ?? 5,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: s3.connectionTimeoutMs ?? 5000,
      socketTimeout: s3.socketTimeoutMs ?? 30000,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    }),
  });
}

/** The URL of a (full, prefixed) key at the bucket itself, in the addressing style the config uses. */
export function bucketUrl(config: S3StorageConfig, encodedFullKey: string): string {
  const { endpoint, region, bucket } = config.s3;
  if (endpoint && usesPathStyle(config))
    return `${endpoint.replace(/\/+$/, '')}/${encodeURIComponent(bucket)}/${encodedFullKey}`;
  if (endpoint) {
    const url = new URL(endpoint);
    return `${url.protocol}//${bucket}.${url.host}/${encodedFullKey}`;
  }
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${bucket}.s3.${region}.${domain}/${encodedFullKey}`;
}
