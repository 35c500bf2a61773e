import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { S3StorageAdapter } from '@monorepo/storage';
import { rgwAvailable, s3ConfigFor, startRgw, startS3rver } from '@monorepo/dev-servers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { compare } from '../harness.js';
import type { Comparison } from '../harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;

async function drain(body: unknown): Promise<number> {
  let n = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) n += chunk.length;
  return n;
}

/** Scenario 3: S3StorageAdapter vs the raw AWS SDK (and lib-storage for large bodies) against the same server. */
export async function s3Scenario(quick: boolean): Promise<Comparison[]> {
  const server = rgwAvailable()
    ? await startRgw({ buckets: ['bench'], storeBytes: 3 * 1024 ** 3 })
    : await startS3rver({ buckets: ['bench'] });
  const common = {
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
    requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true, maxSockets: 64 } }),
  };
  const raw = new S3Client(common);
  const prefix = `bench-${randomUUID()}/`;
  const ours = new S3StorageAdapter(s3ConfigFor(server, { prefix: `${prefix}ours/` }));
  const rawKey = (k: string) => `${prefix}raw/${k}`;
  const results: Comparison[] = [];
  try {
    const cases: Array<[string, number, number]> = [
      ['4 KiB', 4 * KiB, quick ? 30 : 100],
      ['1 MiB', MiB, quick ? 5 : 20],
      ['64 MiB', 64 * MiB, 1],
    ];
    for (const [label, size, work] of cases) {
      const data = randomBytes(size);
      const big = size > 8 * MiB;
      const unit = size >= MiB ? 'MB/s' : 'ops/s';
      const unitsPerOp = size >= MiB ? size / 1e6 : 1;
      results.push(
        await compare({
          scenario: 's3',
          case: `put ${label}${big ? ' (stream, multipart)' : ''}`,
          unit,
          rounds: quick ? 3 : 5,
          work,
          unitsPerOp,
          target: 0.95,
          raw: () =>
            big
              ? new Upload({
                  client: raw,
                  params: {
                    Bucket: 'bench',
                    Key: rawKey(label),
                    Body: Readable.from([data]),
                    ContentType: 'application/octet-stream',
                  },
                }).done()
              : raw.send(
                  new PutObjectCommand({
                    Bucket: 'bench',
                    Key: rawKey(label),
                    Body: data,
                    ContentType: 'application/octet-stream',
                  }),
                ),
          ours: () =>
            ours.upload(label, big ? Readable.from([data]) : data, 'application/octet-stream'),
        }),
      );
      results.push(
        await compare({
          scenario: 's3',
          case: `get ${label}`,
          unit,
          rounds: quick ? 3 : 5,
          work,
          unitsPerOp,
          target: 0.95,
          raw: async () =>
            drain(
              (await raw.send(new GetObjectCommand({ Bucket: 'bench', Key: rawKey(label) }))).Body,
            ),
          ours: async () => drain(await ours.downloadStream(label)),
        }),
      );
    }
    const count = quick ? 1000 : 5000;
    const keys = Array.from({ length: count }, (_, i) => `list/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys
          .slice(i, i + 50)
          .flatMap((key) => [
            raw.send(new PutObjectCommand({ Bucket: 'bench', Key: rawKey(key), Body: 'x' })),
            ours.upload(key, 'x', 'text/plain'),
          ]),
      );
    }
    results.push(
      await compare({
        scenario: 's3',
        case: `list ${count} keys`,
        unit: 'keys/s',
        rounds: quick ? 3 : 5,
        unitsPerOp: count,
        target: 0.95,
        raw: async () => {
          let token: string | undefined;
          let seen = 0;
          do {
            const page = await raw.send(
              new ListObjectsV2Command({
                Bucket: 'bench',
                Prefix: rawKey('list/'),
                ContinuationToken: token,
              }),
            );
            seen += page.KeyCount ?? 0;
            token = page.NextContinuationToken;
          } while (token);
          if (seen !== count) throw new Error(`raw listed ${seen}`);
        },
        ours: async () => {
          let seen = 0;
          for await (const _item of ours.listAll('list/')) seen += 1;
          if (seen !== count) throw new Error(`ours listed ${seen}`);
        },
      }),
    );
  } finally {
    raw.destroy();
    await server.stop();
  }
  return results;
}
