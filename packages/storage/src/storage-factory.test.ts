import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MockS3Client } from '@monorepo/test-utils';
import { s3TestTarget } from '@monorepo/dev-servers';
import type { S3TestServer } from '@monorepo/dev-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorageAdapter, S3StorageAdapter, StorageFactory } from './index.js';
import type { StorageConfig } from './index.js';

describe('StorageFactory', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'factory-'));
  let server: S3TestServer;
  beforeAll(async () => {
    server = await s3TestTarget();
  });
  afterAll(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    await server.stop();
  });

  it('creates the adapter the config names', () => {
    const local: StorageConfig = { type: 'local', baseUrl: 'http://x', localBasePath: tmp };
    expect(StorageFactory.createAdapter(local)).toBeInstanceOf(LocalStorageAdapter);
    const s3: StorageConfig = { type: 's3', s3: { bucket: 'b', region: 'us-east-1' } };
    expect(StorageFactory.createAdapter(s3)).toBeInstanceOf(S3StorageAdapter);
    expect(() => StorageFactory.createAdapter({ type: 'gcs' } as never)).toThrow(
      expect.objectContaining({ code: 'ECONFIG' }),
    );
    // A config of the wrong shape is a ConfigError naming the field, never a TypeError from deep inside.
    for (const wrong of [
      { type: 'local', local: { basePath: tmp } },
      { type: 's3', bucket: 'b' },
    ])
      expect(() => StorageFactory.createAdapter(wrong as never)).toThrow(
        expect.objectContaining({ code: 'ECONFIG' }),
      );
  });

  it('builds a working local adapter from the environment', async () => {
    const storage = StorageFactory.fromEnv({
      STORAGE_TYPE: 'local',
      STORAGE_BASE_URL: 'http://localhost/static',
      STORAGE_LOCAL_PATH: tmp,
    });
    expect(await storage.upload('env/a.txt', 'hi', 'text/plain')).toBe(
      'http://localhost/static/env/a.txt',
    );
    expect(fs.readFileSync(path.join(tmp, 'env', 'a.txt'), 'utf8')).toBe('hi');
  });

  it('builds a working S3 adapter from the environment', async () => {
    const storage = StorageFactory.fromEnv({
      STORAGE_TYPE: 's3',
      S3_ENDPOINT: server.endpoint,
      S3_REGION: server.region,
      S3_BUCKET: server.bucket,
      S3_ACCESS_KEY_ID: server.accessKeyId,
      S3_SECRET_ACCESS_KEY: server.secretAccessKey,
    });
    const key = `factory-${Date.now()}/b.txt`;
    expect(await storage.upload(key, 'over http', 'text/plain')).toBe(
      `${server.endpoint}/${server.bucket}/${key}`,
    );
    expect((await storage.download(key)).toString()).toBe('over http');
    await storage.delete(key);
  });

  it('passes an injected S3 client through', async () => {
    const mock = new MockS3Client();
    const storage = StorageFactory.fromEnv(
      { STORAGE_TYPE: 's3', S3_BUCKET: 'mocked' },
      { s3Client: mock },
    );
    await storage.upload('k', 'v', 'text/plain');
    expect(mock.keys('mocked')).toEqual(['k']);
  });

  it('runs the seed "Switch Between Storage Types" example', () => {
    const env = {
      ...process.env,
      S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      S3_SECRET_ACCESS_KEY: 'example-secret',
    };
    const processLike = { env };
    {
      const process = processLike;
      // Development - Local storage
      const devStorage = StorageFactory.createAdapter({
        type: 'local',
        baseUrl: 'http://localhost/static',
        localBasePath: tmp,
      });

      // Production - S3 storage
      const prodStorage = StorageFactory.createAdapter({
        type: 's3',
        s3: {
          bucket: 'my-bucket',
          region: 'us-east-1',
          accessKeyId: process.env.S3_ACCESS_KEY_ID!,
          secretAccessKey: process.env.S3_SECRET_ACCESS_KEY!,
        },
      });
      expect(devStorage.backend).toBe('local');
      expect(prodStorage.backend).toBe('s3');
      expect(prodStorage.getPublicUrl('a/b.jpg')).toBe(
        'https://my-bucket.s3.us-east-1.amazonaws.com/a/b.jpg',
      );
    }
  });
});
