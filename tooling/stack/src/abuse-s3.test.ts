import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { StorageFactory } from '@monorepo/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';
import { MB, key, until, openFds, abortedUpload, keysOf } from './test-abuse-helpers.js';

const figures: Record<string, number | string> = {};

describe('aborted uploads on S3 leave no multipart upload behind', () => {
  let dataDir: string;
  let stack: Stack;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'abuse-s3-'));
    stack = await startStack({
      dataDir,
      storageType: 's3',
      apiKeys: { [key('abort')]: 'abort' },
      maxUploadBytes: 64 * MB,
      workers: 0,
      // Aborted uploads, not the per-key upload cap (abuse.test.ts checks that): a round must not meet the
      // slots of the round before still being released on a busy machine.
      env: { LOG_LEVEL: 'warn', API_MAX_CONCURRENT_UPLOADS: '32' },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('aborts the multipart upload of every killed client, raw and multipart bodies alike', async () => {
    const env = stack.storageEnv;
    const client = new S3Client({
      region: env.S3_REGION!,
      endpoint: env.S3_ENDPOINT!,
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.S3_ACCESS_KEY_ID!,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
      },
    });
    const pending = async () =>
      (
        (await client.send(new ListMultipartUploadsCommand({ Bucket: env.S3_BUCKET! }))).Uploads ??
        []
      ).length;
    const before = openFds(stack.api.pid!);
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        (['raw', 'multipart'] as const).map((kind) =>
          abortedUpload(stack.gatewayUrl, 'abort', kind, 40 * MB, 12 * MB),
        ),
      );
    }
    await until(
      'multipart uploads to be aborted',
      async () => ((await pending()) === 0 ? true : undefined),
      10_000,
    );
    expect(await pending()).toBe(0);
    expect(await keysOf(StorageFactory.fromEnv(env), 'uploads/')).toEqual([]);
    expect(openFds(stack.api.pid!)).toBeLessThanOrEqual(before + 5);
    figures['10 aborted S3 uploads (12 MB of 40 each): multipart uploads left'] = await pending();
    client.destroy();
  });
});
