import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  MockS3Client,
  describeStorageAdapterContract,
  pseudoRandomStream,
} from '@monorepo/test-utils';
import { describe, expect, it } from 'vitest';
import { S3StorageAdapter } from './s3-storage-adapter.js';
import { leaveMultipart } from '../test/test-target.js';

const config = (
  extra: Partial<S3StorageAdapter extends never ? never : Record<string, unknown>> = {},
) => ({
  type: 's3' as const,
  s3: {
    bucket: 'test-bucket',
    region: 'us-east-1',
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'super-secret-key',
    ...extra,
  },
});

describeStorageAdapterContract('s3 on MockS3Client', () => {
  const client = new MockS3Client();
  return {
    adapter: new S3StorageAdapter(config(), { client }),
    leaveIncomplete: () => leaveMultipart(client, 'test-bucket', 'sweep/partial.bin'),
    withoutPermission: async (use) => {
      const denied = { name: 'AccessDenied', status: 403 };
      for (const command of ['HeadObject', 'GetObject', 'ListObjectsV2'])
        client.failNext(command, { times: 10, error: denied });
      try {
        return await use(new S3StorageAdapter(config({ secretAccessKey: 'wrong' }), { client }));
      } finally {
        client.clearFaults();
      }
    },
  };
});

describe('S3StorageAdapter with injected faults', () => {
  const setup = (extra = {}) => {
    const mock = new MockS3Client();
    return { mock, storage: new S3StorageAdapter(config(extra), { client: mock }) };
  };

  it('counts its prefix toward the 1024-byte key limit, refusing a longer key before any request', async () => {
    const { mock, storage } = setup({ prefix: 'tenant-a/' });
    const fits = `${'k'.repeat(255)}/${'k'.repeat(255)}/${'k'.repeat(255)}/${'k'.repeat(247)}`;
    expect(Buffer.byteLength(fits)).toBe(1024 - 'tenant-a/'.length);
    await storage.upload(fits, 'x', 'text/plain');
    const calls = mock.calls.length;
    const error = await storage.upload(`${fits}k`, 'x', 'text/plain').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EINVAL', message: expect.stringContaining('1015 bytes') });
    expect(mock.calls.length).toBe(calls);
  });

  it('fills pages and loses nothing when the store answers short or empty truncated pages', async () => {
    const { mock, storage } = setup();
    const keys = Array.from({ length: 30 }, (_, i) => `short/${String(i).padStart(2, '0')}`);
    for (const key of keys) await storage.upload(key, 'x', 'text/plain');
    const short = (pageKeys: number) => mock.failNext('ListObjectsV2', { pageKeys });
    short(0);
    short(3);
    const first = await storage.list('short/', { limit: 10 });
    expect(first.items.map((i) => i.key)).toEqual(keys.slice(0, 10));
    expect(first.cursor).toBeTypeOf('string');
    short(0);
    const second = await storage.list('short/', { limit: 25, cursor: first.cursor! });
    expect(second.items.map((i) => i.key)).toEqual(keys.slice(10));
    expect(second.cursor).toBeUndefined();
    short(0);
    short(7);
    short(0);
    const all: string[] = [];
    for await (const item of storage.listAll('short/')) all.push(item.key);
    expect(all).toEqual(keys);
    short(0);
    short(1);
    expect(await storage.deletePrefix('short/')).toBe(30);
    expect(mock.keys('test-bucket')).toEqual([]);
  });

  it('aborts a multipart upload whose part fails, leaving nothing behind', async () => {
    const { mock, storage } = setup();
    mock.failNext('UploadPart', { error: { name: 'InternalError', status: 500 } });
    await expect(
      storage.upload(
        'mp/big.bin',
        pseudoRandomStream(20 * 1024 * 1024),
        'application/octet-stream',
      ),
    ).rejects.toMatchObject({
      code: 'EUNAVAILABLE',
    });
    expect(mock.pendingMultipartUploads()).toEqual([]);
    expect(mock.callCount('AbortMultipartUpload')).toBe(1);
    expect(mock.keys('test-bucket')).toEqual([]);
  });

  it('aborts the multipart upload when the body stream fails mid-way', async () => {
    const { mock, storage } = setup();
    let sent = 0;
    const body = new Readable({
      read() {
        sent += 1;
        if (sent > 12) this.destroy(new Error('client disconnected'));
        else this.push(Buffer.alloc(1024 * 1024, sent));
      },
    });
    await expect(storage.upload('mp/broken.bin', body, 'application/octet-stream')).rejects.toThrow(
      'client disconnected',
    );
    expect(mock.pendingMultipartUploads()).toEqual([]);
    expect(mock.keys('test-bucket')).toEqual([]);
  });

  it('uploads streams in parallel parts and small bodies in one PutObject', async () => {
    const { mock, storage } = setup();
    await storage.upload(
      'parts/a.bin',
      pseudoRandomStream(30 * 1024 * 1024),
      'application/octet-stream',
    );
    expect(mock.callCount('UploadPart')).toBe(6); // 5 MiB parts
    expect(mock.callCount('CompleteMultipartUpload')).toBe(1);
    await storage.upload('parts/b.bin', Buffer.alloc(1000), 'application/octet-stream');
    expect(mock.callCount('PutObject')).toBe(1);
  });

  it('retries keys that DeleteObjects reports as failed, then reports the ones that still fail', async () => {
    const { mock, storage } = setup();
    for (const key of ['d/1', 'd/2', 'd/3']) await storage.upload(key, 'x', 'text/plain');
    mock.failNext('DeleteObjects', { failKeys: ['d/2'] });
    expect(await storage.deletePrefix('d/')).toBe(3);
    expect(mock.callCount('DeleteObjects')).toBe(2);

    for (const key of ['e/1', 'e/2']) await storage.upload(key, 'x', 'text/plain');
    mock.failNext('DeleteObjects', { failKeys: ['e/2'], times: 3 });
    await expect(storage.deletePrefix('e/')).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringContaining('"e/2"'),
    });
    expect(mock.keys('test-bucket')).toEqual(['e/2']);
  });

  it.each([
    [{ name: 'AccessDenied', status: 403 }, 'EACCES'],
    [{ name: 'InvalidAccessKeyId', status: 403 }, 'EACCES'],
    [{ name: 'SlowDown', status: 503 }, 'EUNAVAILABLE'],
    [{ name: 'InternalError', status: 500 }, 'EUNAVAILABLE'],
    [{ name: 'NoSuchBucket', status: 404 }, 'ECONFIG'],
  ])('maps %j to %s and keeps the SDK error as cause', async (spec, code) => {
    const { mock, storage } = setup();
    mock.failNext('GetObject', { error: spec });
    const error = await storage.download('k').catch((e: unknown) => e);
    expect(error).toMatchObject({ code, backend: 's3', operation: 'download' });
    expect((error as Error).cause).toMatchObject({ name: spec.name });
    expect(String((error as Error).message)).not.toContain('super-secret-key');
  });

  it('maps network errors to EUNAVAILABLE', async () => {
    const { mock, storage } = setup();
    mock.failNext('HeadObject', {
      error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    await expect(storage.exists('k')).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
  });

  it('names a missing bucket clearly', async () => {
    const mock = new MockS3Client({ buckets: ['other'] });
    const storage = new S3StorageAdapter(config(), { client: mock });
    await expect(storage.upload('a', 'x', 'text/plain')).rejects.toMatchObject({
      code: 'ECONFIG',
      message: expect.stringContaining('"test-bucket"'),
    });
  });

  it('scopes every key under a configured prefix', async () => {
    const { mock, storage } = setup({ prefix: 'tenant-a/' });
    await storage.upload('x/y.txt', 'x', 'text/plain');
    expect(mock.keys('test-bucket')).toEqual(['tenant-a/x/y.txt']);
    expect((await storage.list('')).items.map((i) => i.key)).toEqual(['x/y.txt']);
    expect(storage.getPublicUrl('x/y.txt')).toBe(
      'https://test-bucket.s3.us-east-1.amazonaws.com/tenant-a/x/y.txt',
    );
  });

  it('never sends ACL headers', async () => {
    const { mock, storage } = setup();
    await storage.upload('acl/a.txt', 'x', 'text/plain');
    await storage.upload(
      'acl/b.bin',
      pseudoRandomStream(9 * 1024 * 1024),
      'application/octet-stream',
    );
    await storage.copy('acl/a.txt', 'acl/c.txt');
    for (const call of mock.calls) expect(call.input).not.toHaveProperty('ACL');
  });

  it('rejects bad configuration with every problem listed', () => {
    expect(
      () =>
        new S3StorageAdapter({
          type: 's3',
          s3: { bucket: '', region: '', accessKeyId: 'x', partSize: 1 },
        } as never),
    ).toThrow(
      expect.objectContaining({
        code: 'ECONFIG',
        issues: expect.arrayContaining([
          expect.stringContaining('bucket'),
          expect.stringContaining('region'),
        ]),
      }),
    );
  });

  it('builds public URLs for a CDN, a path-style endpoint and AWS', () => {
    const key = 'processed/dall-e/u 1/j#1.jpg';
    const cdn = new S3StorageAdapter(
      { type: 's3', baseUrl: 'https://cdn.example.com/', s3: { bucket: 'b', region: 'eu-west-1' } },
      { client: new MockS3Client() },
    );
    expect(cdn.getPublicUrl(key)).toBe('https://cdn.example.com/processed/dall-e/u%201/j%231.jpg');
    const minio = new S3StorageAdapter(
      { type: 's3', s3: { bucket: 'b', region: 'us-east-1', endpoint: 'http://minio:9000' } },
      { client: new MockS3Client() },
    );
    expect(minio.getPublicUrl(key)).toBe('http://minio:9000/b/processed/dall-e/u%201/j%231.jpg');
    const aws = new S3StorageAdapter(
      { type: 's3', s3: { bucket: 'b', region: 'eu-west-1' } },
      { client: new MockS3Client() },
    );
    expect(aws.getPublicUrl(key)).toBe(
      'https://b.s3.eu-west-1.amazonaws.com/processed/dall-e/u%201/j%231.jpg',
    );
  });

  it('signs PUT URLs with the content type and without one when none is given', async () => {
    const { storage } = setup();
    const withType = new URL(
      await storage.getSignedUrl('up/a.png', { method: 'PUT', contentType: 'image/png' }),
    );
    expect(withType.searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');
    const without = new URL(await storage.getSignedUrl('up/a.png', { method: 'PUT' }));
    expect(without.searchParams.get('X-Amz-SignedHeaders')).not.toContain('content-type');
    expect(without.searchParams.get('X-Amz-Credential')).toContain('AKIDEXAMPLE');
    expect(without.href).not.toContain('super-secret-key');
  });

  it('creates a missing bucket once', async () => {
    const mock = new MockS3Client({ buckets: [] });
    const storage = new S3StorageAdapter(config(), { client: mock });
    expect(await storage.provision()).toEqual({ created: true });
    expect(await storage.provision()).toEqual({ created: false });
    await storage.upload('a', 'x', 'text/plain');
    expect(mock.keys('test-bucket')).toEqual(['a']);
  });

  it('runs the seed "With Mock S3" example', async () => {
    // From the design document: the mock handed to the adapter stands in for S3.
    const mockS3 = new MockS3Client();
    const storage = new S3StorageAdapter(
      {
        type: 's3',
        s3: {
          bucket: 'test-bucket',
          region: 'us-east-1',
        },
      },
      { client: mockS3 },
    );
    // Storage will use the mocked S3 client
    const key = `seed/${randomUUID()}.txt`;
    await storage.upload(key, Buffer.from('Hello, World!'), 'text/plain');
    expect(mockS3.keys('test-bucket')).toEqual([key]);
    expect((await storage.download(key)).toString()).toBe('Hello, World!');
  });
});
