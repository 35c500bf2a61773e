import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { pseudoRandomBytes, sha256 } from '@monorepo/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DirectObjectClient } from './direct-object-client.js';
import { bucketUrl } from './s3-client-factory.js';
import { S3StorageAdapter } from './s3-storage-adapter.js';
import { useS3Target } from '../test/test-target.js';

const target = useS3Target();

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** An HTTP proxy in front of the real server that records every request it forwards. */
function recordingProxy(upstream: URL): { server: http.Server; seen: Seen[] } {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  return { server, seen };
}

describe('puts and gets go as one request of their own (real server)', () => {
  let proxy: ReturnType<typeof recordingProxy>;
  let endpoint: string;
  beforeAll(async () => {
    proxy = recordingProxy(new URL(target.server().endpoint));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy.server.closeAllConnections();
    await new Promise((resolve) => proxy.server.close(resolve));
  });
  beforeEach(() => {
    proxy.seen.length = 0;
  });

  it('sends a 10 MB body once: no Expect round trip, no payload hash, a Content-MD5 the server checks', async () => {
    const storage = new S3StorageAdapter(target.config({ endpoint }));
    const body = pseudoRandomBytes(10_000_000, 7);
    await storage.upload('direct/big.bin', body, 'application/octet-stream', {
      metadata: { origin: 'test' },
      cacheControl: 'max-age=60',
    });
    expect(proxy.seen.map((r) => r.method)).toEqual(['PUT']);
    const [put] = proxy.seen;
    expect(put!.headers.expect).toBeUndefined();
    expect(put!.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(put!.headers['content-md5']).toBe(createHash('md5').update(body).digest('base64'));
    expect(put!.headers.authorization).toMatch(/SignedHeaders=[^,]*content-md5/);
    const info = await storage.stat('direct/big.bin');
    expect(info).toMatchObject({
      size: body.length,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      contentType: 'application/octet-stream',
      cacheControl: 'max-age=60',
      metadata: { origin: 'test' },
    });
    expect(sha256(await storage.download('direct/big.bin'))).toBe(sha256(body));
  });

  it('gets whole objects and ranges in one request, with the attributes the SDK reports', async () => {
    const config = target.config({ endpoint });
    const storage = new S3StorageAdapter(config);
    const body = pseudoRandomBytes(300_000, 9);
    await storage.upload('direct/get.bin', body, 'application/x-test', {
      metadata: { origin: 'get-test' },
      cacheControl: 'max-age=5',
    });
    proxy.seen.length = 0;
    expect((await storage.download('direct/get.bin')).equals(body)).toBe(true);
    const ranged: Buffer[] = [];
    for await (const chunk of (await storage.downloadStream('direct/get.bin', {
      start: 1000,
      end: 1999,
    })) as AsyncIterable<Buffer>)
      ranged.push(chunk);
    expect(Buffer.concat(ranged).equals(body.subarray(1000, 2000))).toBe(true);
    expect(proxy.seen.map((r) => [r.method, r.headers.range])).toEqual([
      ['GET', undefined],
      ['GET', 'bytes=1000-1999'],
    ]);
    expect(proxy.seen.every((r) => r.headers['amz-sdk-invocation-id'] === undefined)).toBe(true);
    await expect(storage.download('direct/missing.bin')).rejects.toMatchObject({ code: 'ENOENT' });

    // The same fields as the SDK's own GetObject output.
    const input = { Bucket: config.s3.bucket, Key: `${config.s3.prefix}direct/get.bin` };
    const fromSdk = await storage.client.send(new GetObjectCommand(input));
    (fromSdk.Body as { destroy(): void }).destroy();
    const own = await new DirectObjectClient(storage.client as S3Client, config.s3.bucket, (k) =>
      bucketUrl(config, k),
    ).send(new GetObjectCommand(input));
    (own as { Body: { destroy(): void } }).Body.destroy();
    for (const field of [
      'ContentLength',
      'ContentType',
      'CacheControl',
      'ETag',
      'LastModified',
      'Metadata',
    ])
      expect((own as Record<string, unknown>)[field], field).toEqual(
        (fromSdk as Record<string, unknown>)[field],
      );
  });

  it('leaves to the SDK what it does not know or would send differently, with the same outcome', async () => {
    const config = target.config({ endpoint });
    const { bucket, prefix, region, accessKeyId, secretAccessKey } = config.s3;
    const sdk = (extra: S3ClientConfig = {}) =>
      new S3Client({
        region,
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        maxAttempts: 1,
        ...extra,
      });
    const own = (client: S3Client, name = bucket) =>
      new DirectObjectClient(client, name, (k) =>
        bucketUrl({ ...config, s3: { ...config.s3, bucket: name } }, k),
      );
    const put = (key: string, extra: Record<string, unknown> = {}, name = bucket) =>
      new PutObjectCommand({
        Bucket: name,
        Key: `${prefix}${key}`,
        Body: 'x',
        ContentType: 'text/plain',
        ...extra,
      });
    /** How a send ended: `ok`, or the error's name and message. */
    const outcome = (sending: Promise<unknown>) =>
      sending.then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    /** Sends `command` through our client and through the SDK: which requests went by the SDK, and both outcomes. */
    const both = async (client: S3Client, command: () => PutObjectCommand, name = bucket) => {
      proxy.seen.length = 0;
      const ours = await outcome(own(client, name).send(command()));
      const bySdk = proxy.seen.map((r) => r.headers['amz-sdk-invocation-id'] !== undefined);
      return { bySdk, ours, sdk: await outcome(client.send(command())) };
    };

    // A plain put goes direct.
    expect(await both(sdk(), () => put('plain.txt'))).toEqual({
      bySdk: [false],
      ours: 'ok',
      sdk: 'ok',
    });
    // A field outside its list.
    expect(
      await both(sdk(), () => put('redirect.txt', { WebsiteRedirectLocation: '/elsewhere' })),
    ).toEqual({ bySdk: [true], ours: 'ok', sdk: 'ok' });
    // Checksums on every request.
    const checksummed = await both(sdk({ requestChecksumCalculation: 'WHEN_SUPPORTED' }), () =>
      put('checksum.txt'),
    );
    expect(checksummed.bySdk.every(Boolean)).toBe(true);
    expect(checksummed.ours).toBe(checksummed.sdk);
    expect(Object.keys(proxy.seen[0]!.headers).some((h) => h.startsWith('x-amz-checksum-'))).toBe(
      true,
    );
    // Middleware added to the client after ours was built runs on our requests too.
    const client = sdk();
    const direct = own(client);
    client.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-added'] = 'yes';
        return next(args);
      },
      { step: 'build' },
    );
    proxy.seen.length = 0;
    await direct.send(put('middleware.txt'));
    expect(proxy.seen.map((r) => r.headers['x-added'])).toEqual(['yes']);
    // Dual-stack and FIPS endpoints (refused with a custom endpoint, by the SDK and so by us) and S3 Express buckets.
    for (const extra of [{ useDualstackEndpoint: true }, { useFipsEndpoint: true }]) {
      const result = await both(sdk(extra), () => put('elsewhere.txt'));
      expect(result.ours).not.toBe('ok');
      expect(result.ours).toBe(result.sdk);
    }
    const express = 'bucket--use1-az4--x-s3';
    const result = await both(sdk(), () => put('express.txt', {}, express), express);
    expect(result.bySdk.every(Boolean)).toBe(true);
    expect(result.ours).toBe(result.sdk);
  });

  it('corrects a skewed clock from the server’s Date, as the SDK does, and succeeds', async () => {
    const config = target.config({ endpoint });
    const storage = new S3StorageAdapter(config);
    const sdk = storage.client as S3Client;
    sdk.config.systemClockOffset = -2 * 3600_000;
    await storage.upload('direct/skewed.txt', 'on time', 'text/plain');
    expect(Math.abs(sdk.config.systemClockOffset)).toBeLessThan(60_000);
    expect(proxy.seen.filter((r) => r.method === 'PUT')).toHaveLength(2);
    const head = await sdk.send(
      new HeadObjectCommand({
        Bucket: config.s3.bucket,
        Key: `${config.s3.prefix}direct/skewed.txt`,
      }),
    );
    expect(head.ContentLength).toBe(7);
  });
});
