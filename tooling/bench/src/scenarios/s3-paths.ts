import { randomBytes, randomUUID } from 'node:crypto';
import { S3StorageAdapter } from '@monorepo/storage';
import { FaultProxy, rgwAvailable, s3ConfigFor, startRgw } from '@monorepo/dev-servers';
import { compare } from '../harness.js';
import type { Comparison } from '../harness.js';

const IN_FLIGHT = 8;

/**
 * The two ways the S3 adapter sends puts and gets, same adapter otherwise: through the SDK's middleware stack
 * (`directRequests: false`, the "raw" side) and as one signed request of its own (the default), against radosgw on
 * loopback and through a proxy that adds 20 ms to every request (a remote-like server, where CPU per request
 * matters less). Each operation is a batch of 8 in flight; the notes give CPU milliseconds per request.
 */
export async function s3PathsScenario(quick: boolean): Promise<Comparison[]> {
  if (!rgwAvailable()) return [];
  const server = await startRgw({ buckets: ['bench'] });
  const proxy = await new FaultProxy({ port: Number(new URL(server.endpoint).port) }).start();
  const results: Comparison[] = [];
  try {
    for (const [where, endpoint, latency] of [
      ['loopback', server.endpoint, 0],
      ['+20 ms per request', proxy.url, 20],
    ] as const) {
      proxy.latencyMs = latency;
      const adapter = (directRequests: boolean) =>
        new S3StorageAdapter(
          s3ConfigFor(
            { ...server, endpoint },
            { prefix: `paths-${randomUUID()}/`, directRequests },
          ),
        );
      const sdk = adapter(false);
      const direct = adapter(true);
      // The proxy delays each chunk it forwards, so only bodies of one chunk see one added round trip.
      const cases: Array<[string, number, 'put' | 'get']> = [
        ['4 KiB', 4096, 'put'],
        ['4 KiB', 4096, 'get'],
        ['1 MiB', 1024 * 1024, 'get'],
        ...(latency ? [] : ([['1 MiB', 1024 * 1024, 'put']] as Array<[string, number, 'put']>)),
      ];
      for (const [label, size, op] of cases) {
        const data = randomBytes(size);
        await Promise.all(
          [sdk, direct].map((a) => a.upload('warm', data, 'application/octet-stream')),
        );
        const cpu = { sdk: 0, direct: 0 };
        const batch = (storage: S3StorageAdapter, side: keyof typeof cpu) => async () => {
          const before = process.cpuUsage();
          await Promise.all(
            Array.from({ length: IN_FLIGHT }, (_, i) =>
              op === 'put'
                ? storage.upload(`o/${i}`, data, 'application/octet-stream')
                : storage.download('warm'),
            ),
          );
          const used = process.cpuUsage(before);
          cpu[side] += used.user + used.system;
        };
        const work = (quick ? 10 : 25) * (latency ? 1 : 2);
        const rounds = quick ? 3 : 5;
        const result = await compare({
          scenario: 's3-paths',
          case: `${op} ${label}, ${IN_FLIGHT} in flight, ${where}: direct requests vs the SDK's stack`,
          unit: size >= 1024 * 1024 ? 'MB/s' : 'ops/s',
          rounds,
          work,
          unitsPerOp: size >= 1024 * 1024 ? (IN_FLIGHT * size) / 1e6 : IN_FLIGHT,
          raw: batch(sdk, 'sdk'),
          ours: batch(direct, 'direct'),
        });
        const requests = (rounds + 1) * work * IN_FLIGHT;
        results.push({
          ...result,
          notes: {
            'SDK CPU ms/request': (cpu.sdk / 1000 / requests).toFixed(2),
            'direct CPU ms/request': (cpu.direct / 1000 / requests).toFixed(2),
          },
        });
      }
    }
  } finally {
    await proxy.stop();
    await server.stop();
  }
  return results;
}
