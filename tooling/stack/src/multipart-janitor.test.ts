import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY = 'mpj-key-0123456789abcdef-0000000001';
const MiB = 1024 * 1024;

// The two backends at once: each test waits out its intent's expiry and the janitor's next pass (~6 s, idle).
describe.concurrent.each(['s3', 'local'] as const)(
  'the janitor and multipart uploads (%s)',
  (storageType) => {
    let dataDir: string;
    let stack: Stack;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'multipart-janitor-'));
      stack = await startStack({
        dataDir,
        storageType,
        apiKeys: { [KEY]: 'mpj' },
        // Multipart intents open for 5 s (part URLs live as long: enough for one 5 MiB PUT on a busy machine); the
        // janitor runs every second.
        env: { LOG_LEVEL: 'warn', API_MULTIPART_TTL_S: '5', WORKER_JANITOR_INTERVAL_MS: '1000' },
      });
    }, 180_000);
    afterAll(async () => {
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    const api = (method: string, route: string, body?: unknown) =>
      fetch(`${stack.gatewayUrl}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${KEY}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    /** The store's unfinished uploads of intent `id`: radosgw's list, or local storage's upload directories. */
    const pendingUploads = (): ((id: string, uploadId: string) => Promise<number>) => {
      const env = stack.storageEnv;
      if (storageType === 'local')
        return async (_id, uploadId) =>
          (await readdir(path.join(env.STORAGE_LOCAL_PATH!, 'incoming')).catch(() => [])).filter(
            (name) => name === `.~mp\\${uploadId}`,
          ).length;
      const s3 = new S3Client({
        region: env.S3_REGION!,
        endpoint: env.S3_ENDPOINT!,
        forcePathStyle: true,
        credentials: {
          accessKeyId: env.S3_ACCESS_KEY_ID!,
          secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
        },
      });
      return async (id) =>
        (
          (
            await s3.send(
              new ListMultipartUploadsCommand({ Bucket: env.S3_BUCKET!, Prefix: `incoming/${id}` }),
            )
          ).Uploads ?? []
        ).length;
    };

    it('aborts the store upload of an expired multipart intent and releases its reservation', async () => {
      const listPending = pendingUploads();
      const usage = async () =>
        ((await (await api('GET', '/v1/usage')).json()) as { storage: { reservedBytes: number } })
          .storage;

      const created = await api('POST', '/v1/uploads/multipart', {
        name: 'stale.bin',
        contentType: 'application/octet-stream',
        size: 12 * MiB,
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const { url } = (await (await api('POST', `/v1/uploads/${id}/parts/1`)).json()) as {
        url: string;
      };
      const uploadId = new URL(url).searchParams.get('uploadId')!;
      const pending = (intent: string) => listPending(intent, uploadId);
      const put = await fetch(url, { method: 'PUT', body: randomBytes(5 * MiB) });
      expect(put.status, await put.clone().text()).toBe(200); // the store's answer, should it refuse
      expect(await pending(id)).toBe(1);
      expect((await usage()).reservedBytes).toBe(12 * MiB);

      const until = Date.now() + 30_000;
      while ((await usage()).reservedBytes !== 0 || (await pending(id)) !== 0) {
        if (Date.now() > until) throw new Error('the janitor did not settle the stale upload');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // Expired: nothing can be sent or completed any more.
      expect((await api('POST', `/v1/uploads/${id}/parts/2`)).status).toBe(404);
      expect((await api('POST', `/v1/uploads/${id}/complete`)).status).toBe(404);
    }, 90_000);
  },
);
