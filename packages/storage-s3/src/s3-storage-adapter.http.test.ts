import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  describeStorageAdapterContract,
  needs,
  pseudoRandomBytes,
  sha256,
} from '@monorepo/test-utils';
import { FaultProxy, rgwAvailable } from '@monorepo/dev-servers';
import { describe, expect, it } from 'vitest';
import { S3StorageAdapter } from './s3-storage-adapter.js';
import {
  S3_REQUEST_PATHS,
  leaveMultipart,
  leftovers,
  removeAll,
  useS3Target,
} from '../test/test-target.js';

// Runs against S3_ENDPOINT when set (e.g. `make test-s3 S3_ENDPOINT=http://localhost:9000`), else a fresh radosgw
// (or the s3rver stand-in where Ceph is not installed).
const target = useS3Target();
const real = Boolean(process.env.S3_ENDPOINT) || rgwAvailable();
const serverName = process.env.S3_ENDPOINT ?? (real ? 'radosgw' : 's3rver');

for (const [path, directRequests] of S3_REQUEST_PATHS)
  describeStorageAdapterContract(
    `s3 over HTTP (${serverName}, ${path})`,
    () => {
      const config = target.config({ directRequests });
      const adapter = new S3StorageAdapter(config);
      return {
        adapter,
        leaveIncomplete: () =>
          leaveMultipart(adapter.client, config.s3.bucket, `${config.s3.prefix}sweep/partial.bin`),
        // A real server checks signatures: the same keyspace with a wrong secret is refused.
        ...(real
          ? {
              withoutPermission: (use) =>
                use(
                  new S3StorageAdapter({
                    ...config,
                    s3: { ...config.s3, secretAccessKey: 'wrong-secret-0123456789' },
                  }),
                ),
            }
          : {}),
      };
    },
    // The s3rver stand-in overwrites files in place; real S3 servers replace objects atomically.
    { fetchSignedUrls: true, serverTearsOverwrites: !real },
  );

const realServer = needs('radosgw or S3_ENDPOINT', real, 'make setup installs Ceph radosgw');

describe(`what only a real S3 server checks (${serverName})`, realServer, () => {
  it('refuses a wrong secret with EACCES in one attempt (not retried), never echoing the secret', async () => {
    // Through a proxy that records every request reaching the server.
    const proxy = await new FaultProxy({
      port: Number(new URL(target.server().endpoint).port),
    }).start();
    try {
      const storage = new S3StorageAdapter(
        target.config({
          endpoint: proxy.url,
          secretAccessKey: 'hunter2-wrong-secret',
          maxAttempts: 5,
        }),
      );
      const error = await storage.upload('a.txt', 'x', 'text/plain').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'EACCES' });
      expect(proxy.requests).toEqual([expect.stringMatching(/^PUT \S+\/a\.txt /)]);
      expect(String((error as Error).message)).not.toContain('hunter2');
      expect(JSON.stringify(error)).not.toContain('hunter2');
    } finally {
      await proxy.stop();
    }
  });

  it('serves presigned GET and PUT to plain fetch, and refuses tampered or expired ones', async () => {
    const storage = target.adapter();
    await storage.upload('signed/a.txt', 'signed body', 'text/plain');
    const get = await storage.getSignedUrl('signed/a.txt', { expiresIn: 60 });
    expect(await (await fetch(get)).text()).toBe('signed body');
    expect((await fetch(get.replace('signed/a.txt', 'signed/b.txt'))).status).toBe(403);
    const tampered = new URL(get);
    const signature = tampered.searchParams.get('X-Amz-Signature')!;
    tampered.searchParams.set(
      'X-Amz-Signature',
      `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`,
    );
    expect((await fetch(tampered)).status).toBe(403);
    const expiring = await storage.getSignedUrl('signed/a.txt', { expiresIn: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetch(expiring)).status).toBe(403);

    const put = await storage.getSignedUrl('signed/up.png', {
      method: 'PUT',
      contentType: 'image/png',
      expiresIn: 60,
    });
    const wrongType = await fetch(put, {
      method: 'PUT',
      body: 'not a png',
      headers: { 'content-type': 'text/html' },
    });
    expect(wrongType.status).toBe(403);
    expect(await storage.exists('signed/up.png')).toBe(false);
    const ok = await fetch(put, {
      method: 'PUT',
      body: 'png bytes',
      headers: { 'content-type': 'image/png' },
    });
    expect(ok.status).toBe(200);
    expect(await storage.stat('signed/up.png')).toMatchObject({
      size: 9,
      contentType: 'image/png',
    });
  });

  it('a multipart stream that does not match its contentMd5 is aborted: no object, no upload left', async () => {
    const server = target.server();
    const prefix = `${target.runPrefix}md5-multipart/`;
    const storage = new S3StorageAdapter({
      ...target.config(),
      s3: { ...target.config().s3, prefix },
    });
    const body = pseudoRandomBytes(12 * 1024 * 1024, 3);
    const wrong = createHash('md5').update(body.subarray(1)).digest('hex');
    const error = await storage
      .upload('big.bin', Readable.from(chunked(body)), 'application/octet-stream', {
        contentMd5: wrong,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EINVAL' });
    expect(await leftovers(server, prefix)).toEqual({ objects: 0, uploads: [] });
    const right = createHash('md5').update(body).digest('hex');
    await storage.upload('big.bin', Readable.from(chunked(body)), 'application/octet-stream', {
      contentMd5: right,
    });
    expect(sha256(await storage.download('big.bin'))).toBe(sha256(body));
  });

  it('leaves nothing behind on the server: objects and multipart uploads under a prefix are removed', async () => {
    const server = target.server();
    const prefix = `${target.runPrefix}hygiene/`;
    const storage = new S3StorageAdapter({
      ...target.config(),
      s3: { ...target.config().s3, prefix },
    });
    await storage.upload('a.txt', 'a', 'text/plain');
    await storage.upload(
      'deep/b.bin',
      Buffer.alloc(6 * 1024 * 1024, 1),
      'application/octet-stream',
    );
    await leaveMultipart(storage.client, server.bucket, `${prefix}dangling.bin`);
    expect(await leftovers(server, prefix)).toEqual({
      objects: 2,
      uploads: [`${prefix}dangling.bin`],
    });
    await removeAll(server, prefix);
    expect(await leftovers(server, prefix)).toEqual({ objects: 0, uploads: [] });
  });
});

function* chunked(body: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < body.length; offset += 64 * 1024)
    yield body.subarray(offset, offset + 64 * 1024);
}
