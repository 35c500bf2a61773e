// `make start`: the whole system on this machine, configured from the environment.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './repo-root.js';
import { startStack } from './stack.js';
import { serviceEnvFrom } from './start-env.js';

const env = process.env;
const dataDir = path.resolve(repoRoot(), env.DATA_DIR ?? '.data');
const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);

async function demoKeys(): Promise<Record<string, string>> {
  if (env.API_KEYS) {
    return Object.fromEntries(
      env.API_KEYS.split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
        .map((entry) => [
          entry.slice(0, entry.lastIndexOf(':')),
          entry.slice(entry.lastIndexOf(':') + 1),
        ]),
    );
  }
  const file = path.join(dataDir, 'demo-api-key');
  const key = existsSync(file)
    ? (await readFile(file, 'utf8')).trim()
    : `demo-${randomBytes(16).toString('hex')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return { [key]: 'demo-user' };
}

async function main(): Promise<void> {
  const storageType = env.STORAGE_TYPE === 's3' ? 's3' : 'local';
  const cdnPort = num('CDN_PORT', 8080);
  const stack = await startStack({
    dataDir,
    storageType,
    redisUrl: env.REDIS_URL || undefined,
    // REDIS_MODE=sentinel|cluster starts a Sentinel group or a Cluster instead of one redis-server.
    ...(env.REDIS_MODE === 'sentinel' || env.REDIS_MODE === 'cluster'
      ? { redisMode: env.REDIS_MODE }
      : {}),
    redisReplicas: num('REDIS_REPLICAS', 2),
    apis: num('APIS', 1),
    // RGW_GATEWAYS=2: two radosgw processes over one Ceph cluster, behind one nginx S3 endpoint.
    rgwGateways: num('RGW_GATEWAYS', 1),
    ...(storageType === 's3' && env.S3_ENDPOINT
      ? {
          s3: {
            endpoint: env.S3_ENDPOINT,
            bucket: env.S3_BUCKET ?? 'storage',
            region: env.S3_REGION,
            accessKeyId: env.S3_ACCESS_KEY_ID,
            secretAccessKey: env.S3_SECRET_ACCESS_KEY,
          },
        }
      : {}),
    apiPort: num('API_PORT', 3000),
    cdnPort,
    workerHttpPort: num('WORKER_HTTP_PORT', 3001),
    workers: num('WORKERS', 1),
    imaging: num('IMAGING_PROCESSES', 1),
    ...(env.IMAGING_KEYS ? { imagingKeys: env.IMAGING_KEYS } : {}),
    apiKeys: await demoKeys(),
    maxUploadBytes: num('MAX_UPLOAD_BYTES', 104_857_600),
    storageBaseUrl: env.STORAGE_BASE_URL ?? `http://localhost:${cdnPort}/static`,
    env: serviceEnvFrom(env),
  });
  const [apiKey, userId] = Object.entries(stack.apiKeys)[0]!;
  await writeFile(
    path.join(dataDir, 'stack.json'),
    JSON.stringify(
      {
        gatewayUrl: stack.gatewayUrl,
        cdnUrl: stack.cdnUrl,
        apiUrl: stack.apiUrl,
        apiKey,
        pid: process.pid,
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
  // The running stack's storage configuration, for `pnpm storage …` and the make storage-* targets, which
  // read it by default (tooling/scripts/storage.mjs). Holds the S3 credentials in S3 mode: owner-only.
  const storageEnvFile = path.join(dataDir, 'storage.env');
  await writeFile(
    storageEnvFile,
    `# Written by \`make start\`: the storage configuration of the running stack (${storageType}).\n` +
      Object.entries(stack.storageEnv)
        .filter(([, value]) => value !== undefined && value !== '')
        .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
        .join('\n') +
      '\n',
    { mode: 0o600 },
  );
  const storageLines =
    storageType === 's3'
      ? `   S3                endpoint ${stack.storageEnv.S3_ENDPOINT}, bucket ${stack.storageEnv.S3_BUCKET}${
          stack.rgw && stack.rgw.gateways.length > 1
            ? `\n                     (nginx in front of radosgw ${stack.rgw.gateways.map((g) => g.endpoint).join(', ')})`
            : ''
        }
                     credentials (S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY) in ${storageEnvFile}`
      : `   Storage           ${stack.storageEnv.STORAGE_LOCAL_PATH}`;
  const line = '─'.repeat(72);
  console.log(`${line}
 Storage platform is running (${storageType} storage, data in ${dataDir})

   API (via nginx)   ${stack.gatewayUrl}/v1/...        OpenAPI: ${stack.apiUrl}/openapi.json
   API (direct)      ${stack.apiUrl}
   CDN               ${stack.cdnUrl}/static/...
   Console           ${new URL(stack.storageEnv.STORAGE_BASE_URL!).origin}/console/   (paste the API key below)
   Worker metrics    http://127.0.0.1:${num('WORKER_HTTP_PORT', 3001)}/metrics
   Renders (/img/)   ${new URL(stack.storageEnv.STORAGE_BASE_URL!).origin}/img/<signature>/<options>/plain/local:///<key>@webp
                     POST ${stack.gatewayUrl}/v1/transform-urls mints them; imaging metrics: ${stack.imagingUrls[0] ?? '-'}/metrics
${storageLines}
                     pnpm storage usage / make storage-usage use it (${path.relative(process.cwd(), storageEnvFile) || storageEnvFile})
   Redis             ${
     stack.redisUrl ||
     Object.entries(stack.redisEnv)
       .map(([k, v]) => `${k}=${v}`)
       .join(' ')
   }
   Logs              ${path.join(dataDir, 'logs')}

   API key (${userId}):  ${apiKey}

   curl -H "Authorization: Bearer ${apiKey}" -H "Content-Type: image/jpeg" \\
        --data-binary @photo.jpg "${stack.gatewayUrl}/v1/files?name=photo.jpg"

 In another terminal: make demo.  Ctrl-C stops everything.
${line}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const exits = [stack.api, stack.nginx, ...stack.workers].map((p) => p.exited().then(() => p));
  const crashed = await Promise.race(exits);
  if (!stopping) {
    console.error(`${crashed.name} exited unexpectedly; see ${crashed.logFile}`);
    await stack.stop();
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(`make start failed: ${(error as Error)?.message ?? String(error)}`);
  process.exit(1);
});
