import { Readable } from 'node:stream';
import * as Minio from 'minio';
import { pseudoRandomBytes, sha256 } from '@monorepo/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { useS3Target } from '../test/test-target.js';

const target = useS3Target();

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('objects are plain S3 objects (checked with the independent minio client)', () => {
  let minio: Minio.Client;
  beforeAll(() => {
    const url = new URL(target.server().endpoint);
    minio = new Minio.Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: url.protocol === 'https:',
      accessKey: target.server().accessKeyId,
      secretKey: target.server().secretAccessKey,
      region: target.server().region,
      pathStyle: true,
    });
  });

  it('reads back what the adapter wrote, content type and metadata included', async () => {
    const config = target.config();
    const storage = target.adapter({ prefix: config.s3.prefix });
    const bytes = pseudoRandomBytes(3 * 1024 * 1024, 11);
    await storage.upload('interop/from-adapter.bin', bytes, 'image/webp', {
      metadata: { job: 'j-1' },
    });
    await storage.upload(
      'interop/streamed.bin',
      Readable.from([bytes, bytes]),
      'application/x-stream',
    );
    const objectName = `${config.s3.prefix}interop/from-adapter.bin`;
    expect(sha256(await readAll(await minio.getObject(config.s3.bucket, objectName)))).toBe(
      sha256(bytes),
    );
    const stat = await minio.statObject(config.s3.bucket, objectName);
    expect(stat.metaData['content-type']).toBe('image/webp');
    expect(stat.metaData.job).toBe('j-1');
    const streamed = await readAll(
      await minio.getObject(config.s3.bucket, `${config.s3.prefix}interop/streamed.bin`),
    );
    expect(sha256(streamed)).toBe(sha256(Buffer.concat([bytes, bytes])));
  });

  it('reads what the minio client wrote', async () => {
    const config = target.config();
    const storage = target.adapter({ prefix: config.s3.prefix });
    const bytes = pseudoRandomBytes(200_000, 12);
    await minio.putObject(
      config.s3.bucket,
      `${config.s3.prefix}interop/from-minio.png`,
      bytes,
      bytes.length,
      {
        'Content-Type': 'image/png',
      },
    );
    expect(sha256(await storage.download('interop/from-minio.png'))).toBe(sha256(bytes));
    expect(await storage.stat('interop/from-minio.png')).toMatchObject({
      contentType: 'image/png',
      size: bytes.length,
    });
    expect((await storage.list('interop/')).items.map((i) => i.key)).toEqual([
      'interop/from-minio.png',
    ]);
  });
});
