import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StorageApiClient } from '@monorepo/api-client';
import { startStack } from '@monorepo/stack';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import type { Measurement } from '../harness.js';
import { ONE_KEY_BENCH_ENV } from '../harness.js';

const run = promisify(execFile);
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));

interface Load {
  tool: string;
  requestsPerSecond: number;
  p99Ms: number;
  megabytesPerSecond: number;
}

const ms = (text: string) => {
  const match = /([\d.]+)(us|ms|s)/.exec(text);
  if (!match) return NaN;
  return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
};

/** Load from a separate C process (wrk) when installed, so the client is not the bottleneck; else autocannon. */
async function load(
  url: string,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<Load> {
  if (WRK) {
    const args = [
      '-t2',
      '-c16',
      `-d${seconds}s`,
      '--latency',
      ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
      url,
    ];
    const { stdout } = await run(WRK, args);
    if (/Non-2xx or 3xx responses/.test(stdout) || /Socket errors/.test(stdout))
      throw new Error(`wrk saw errors:\n${stdout}`);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
    const transfer = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(stdout);
    const unit =
      { B: 1e-6, KB: 1.024e-3, MB: 1.048576, GB: 1073.741824 }[
        transfer?.[2] as 'B' | 'KB' | 'MB' | 'GB'
      ] ?? 0;
    return {
      tool: 'wrk',
      requestsPerSecond: rps,
      p99Ms: ms(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? ''),
      megabytesPerSecond: Number(transfer?.[1]) * unit,
    };
  }
  const result = await cannon(url, seconds, headers);
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    tool: 'autocannon',
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    megabytesPerSecond: result.throughput.average / 1e6,
  };
}

const KEY = 'bench-key-0123456789abcdefghijklmn';

function cannon(
  url: string,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<autocannon.Result> {
  return autocannon({ url, duration: seconds, connections: 16, pipelining: 1, headers });
}

/** Scenario 6: the same object from nginx /static/ and from the API — why the CDN path exists. */
export async function servingScenario(quick: boolean): Promise<Measurement[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-serve-'));
  const stack = await startStack({
    dataDir,
    apiKeys: { [KEY]: 'bench' },
    workers: 0,
    env: { ...ONE_KEY_BENCH_ENV },
  });
  const measurements: Measurement[] = [];
  try {
    for (const [label, size] of [
      ['100 KiB', 100 * 1024],
      ['5 MiB', 5 * 1024 * 1024],
    ] as const) {
      const { key, url } = await new StorageApiClient({
        baseUrl: stack.gatewayUrl,
        apiKey: KEY,
      }).uploadFile(randomBytes(size), { name: 'blob.bin' });
      const seconds = quick ? 2 : 5;
      const nginx = await load(url.replace('://localhost', '://127.0.0.1'), seconds);
      const api = await load(
        `${stack.apiUrl}/v1/files/${key.split('/').map(encodeURIComponent).join('/')}`,
        seconds,
        {
          authorization: `Bearer ${KEY}`,
        },
      );
      for (const [who, result] of [
        ['nginx /static/', nginx],
        ['API GET /v1/files', api],
      ] as const) {
        measurements.push({
          scenario: 'serving',
          name: `${label} from ${who}`,
          value: result.requestsPerSecond,
          unit: 'req/s',
          notes: {
            'p99 ms': Number(result.p99Ms.toFixed(1)),
            'MB/s': Math.round(result.megabytesPerSecond),
            client: result.tool,
          },
        });
      }
    }
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return measurements;
}
