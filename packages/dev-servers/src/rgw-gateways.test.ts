import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rgwAvailable, startRgw } from './rgw-test-server.js';
import type { RgwServer } from './rgw-test-server.js';

describe.skipIf(!rgwAvailable())('startRgw with two gateways over one cluster', () => {
  let rgw: RgwServer;
  const clients: S3Client[] = [];
  const clientOf = (endpoint: string) => {
    const client = new S3Client({
      endpoint,
      region: rgw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    rgw = await startRgw({ buckets: ['shared'], gateways: 2 });
  }, 90_000);
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await rgw?.stop();
  });

  const read = async (client: S3Client, key: string) =>
    Buffer.from(
      await (
        await client.send(new GetObjectCommand({ Bucket: 'shared', Key: key }))
      ).Body!.transformToByteArray(),
    ).toString();

  it('serves the same user and buckets on both, and one survives the other being killed -9', async () => {
    const [a, b] = rgw.gateways as [RgwServer['gateways'][0], RgwServer['gateways'][0]];
    expect(rgw.gateways.map((g) => g.name)).toEqual(['a', 'b']);
    expect(a.port).not.toBe(b.port);
    expect(rgw.endpoint).toBe(a.endpoint);
    const onA = clientOf(a.endpoint);
    const onB = clientOf(b.endpoint);
    await onA.send(new PutObjectCommand({ Bucket: 'shared', Key: 'k1', Body: 'written via a' }));
    expect(await read(onB, 'k1')).toBe('written via a');

    await a.kill();
    expect(a.running).toBe(false);
    await expect(read(clientOf(a.endpoint), 'k1')).rejects.toThrow();
    await onB.send(new PutObjectCommand({ Bucket: 'shared', Key: 'k2', Body: 'written via b' }));
    expect(await read(onB, 'k2')).toBe('written via b');

    await a.start();
    expect(a.running).toBe(true);
    expect(await read(clientOf(a.endpoint), 'k2')).toBe('written via b');
  }, 90_000);
});
