import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3StorageAdapter, parseCdnSigningKeys } from '@monorepo/storage';
import { initStorage } from '@monorepo/storage-cli';
import {
  freePort,
  rgwAvailable,
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  startRgw,
  startS3Server,
} from '@monorepo/dev-servers';
import type {
  RedisClusterGroup,
  RedisSentinelGroup,
  RedisTestServer,
  RgwServer,
  S3TestServer,
} from '@monorepo/dev-servers';
import { ManagedProcess, waitForHttp } from './managed-process.js';
import {
  IMAGING_ACCEL_PATH,
  renderNginxConfig,
  renderSigningInclude,
} from './render-nginx-config.js';
import { renderS3BalancerConfig } from './render-s3-balancer-config.js';
import { repoRoot } from './repo-root.js';

/** How to run the system. Every field has the `make start` default. */
export interface StackOptions {
  /** Root for storage, logs and runtime files (default `./.data`). */
  dataDir?: string;
  storageType?: 'local' | 's3';
  /** Use this Redis instead of starting one. */
  redisUrl?: string;
  /**
   * Without `redisUrl`: which Redis to start: one server (default), a Sentinel group (1 master, `redisReplicas`
   * replicas, 3 sentinels) or a Cluster (3 masters + 3 replicas).
   */
  redisMode?: 'single' | 'sentinel' | 'cluster';
  /**
   * Under Sentinel: replicas of the master (default 2: with one, the promoted master has no replica and refuses
   * writes under `min-replicas-to-write 1` until the old master rejoins, a 13–15 s outage instead of 2–3 s).
   */
  redisReplicas?: number;
  /**
   * For `s3`: an existing endpoint and bucket. Else a radosgw is started (in memory: its data is gone when the
   * stack stops) and initialised like `storage init` does it, or the s3rver stand-in where Ceph is missing
   * (outside CI).
   */
  s3?: {
    endpoint: string;
    bucket: string;
    region?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
  };
  /**
   * For `s3` without `s3`: radosgw processes over the one Ceph cluster (default 1). With more than one, an nginx
   * in front of them (`s3BalancerPort`) is the one S3 endpoint every service uses, as a load balancer would be
   * in production; it survives the loss of one gateway.
   */
  rgwGateways?: number;
  /** Port of that balancer (default: a free one). */
  s3BalancerPort?: number;
  apiPort?: number;
  cdnPort?: number;
  workerHttpPort?: number;
  workers?: number;
  /** API processes behind nginx (default 1), sharing Redis and storage. */
  apis?: number;
  /** Imaging processes behind nginx's `/img/` (default 1), sharing Redis and storage. */
  imaging?: number;
  /** `IMAGING_KEYS` (`team:keyhex:salthex,…`); default: one fresh pair for each user of `apiKeys`. */
  imagingKeys?: string;
  /** `key → userId`; default: one generated key for `demo-user`. */
  apiKeys?: Record<string, string>;
  maxUploadBytes?: number;
  /** Public base URL of stored objects (default `http://localhost:<cdnPort>/static`). */
  storageBaseUrl?: string;
  /** Web origins whose pages may call the API and upload from a browser (nginx and bucket CORS). */
  corsOrigins?: readonly string[];
  /** Extra environment for the API and the workers. */
  env?: NodeJS.ProcessEnv;
  /** A command the workers run under, e.g. `privateHosts(…).prefix` from `@monorepo/dev-servers`. */
  workerPrefix?: readonly string[];
  /** Echo service output to this process's stdout. */
  echo?: boolean;
}

/** A running system. */
export interface Stack {
  cdnUrl: string;
  apiUrl: string;
  gatewayUrl: string;
  apiKeys: Record<string, string>;
  /** The single Redis's URL (empty under Sentinel or Cluster: see `redisEnv`). */
  redisUrl: string;
  /** The Redis variables every service got (`REDIS_URL`, or `REDIS_SENTINELS`…, or `REDIS_CLUSTER_NODES`). */
  redisEnv: NodeJS.ProcessEnv;
  /** The Sentinel group started by the stack (`redisMode: 'sentinel'`). */
  redisSentinel?: RedisSentinelGroup;
  /** The Cluster started by the stack (`redisMode: 'cluster'`). */
  redisCluster?: RedisClusterGroup;
  /** The radosgw started by the stack (S3 mode without `s3`, Ceph installed), with each of its gateways. */
  rgw?: RgwServer;
  /** The nginx in front of the gateways (`rgwGateways` > 1): `S3_ENDPOINT` points at it. */
  s3Balancer?: ManagedProcess;
  storageEnv: NodeJS.ProcessEnv;
  dataDir: string;
  workers: ManagedProcess[];
  /** Health/metrics base URL of each worker, in the order of `workers`. */
  workerUrls: string[];
  readonly api: ManagedProcess;
  /** Every API process (the first is `api`), and where each listens. */
  apis: ManagedProcess[];
  apiUrls: string[];
  nginx: ManagedProcess;
  /** The imaging processes and where each listens (health, metrics, and transforms without nginx). */
  imaging: ManagedProcess[];
  imagingUrls: string[];
  /** The `IMAGING_KEYS` the API and the imaging processes share. */
  imagingKeys: string;
  /** Starts one more worker process. */
  startWorker(): Promise<ManagedProcess>;
  /** Kills API process `index` (default 0; SIGKILL, unless it is dead already) and starts it again on its port. */
  restartApi(index?: number): Promise<ManagedProcess>;
  /** The Redis started by the stack (absent when `redisUrl` was given). */
  redis?: RedisTestServer;
  stop(): Promise<void>;
}

const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];

/** True when a user who is neither owner nor in the group may enter every directory from `dir` up to `/`. */
async function othersCanTraverse(dir: string): Promise<boolean> {
  for (let current = dir; ; current = path.dirname(current)) {
    if (((await stat(current)).mode & 0o001) === 0) return false;
    if (current === path.dirname(current)) return true;
  }
}

/**
 * The `user` directive for nginx. Started by root, nginx runs its workers as `nobody`, which must be able to
 * reach every served tree (the data directory, the console page of the checkout); a checkout or data directory
 * in a private home (`/root`, mode 0700) is not reachable, so the workers then run as the owner of the first
 * such tree instead of answering every request for it with 403.
 */
export async function nginxUserDirective(...servedDirs: string[]): Promise<string> {
  if (os.userInfo().uid !== 0) return '';
  let servedDir: string | undefined;
  for (const dir of servedDirs) if (!(await othersCanTraverse(dir))) servedDir ??= dir;
  if (!servedDir) return 'user nobody nogroup;';
  const { uid, gid } = await stat(servedDir);
  // nginx takes names, not numbers.
  const name = (db: string, id: number) =>
    execFileSync('getent', [db, String(id)], { encoding: 'utf8' }).split(':')[0]!;
  const owner = name('passwd', uid);
  const group = name('group', gid);
  process.stderr.write(
    `note: ${servedDir} is not reachable by 'nobody' (a parent directory is private), so nginx workers run as ${owner}\n`,
  );
  return `user ${owner} ${group};`;
}

async function portOr(value: number | undefined): Promise<number> {
  return value && value > 0 ? value : freePort();
}

/** nginx as the one S3 endpoint in front of `gateways` ({@link renderS3BalancerConfig}). */
async function startS3Balancer(options: {
  port: number;
  gateways: string[];
  runtimeDir: string;
  logDir: string;
}): Promise<ManagedProcess> {
  const nginxBin = NGINX.find((candidate) => existsSync(candidate));
  if (!nginxBin) throw new Error('nginx is not installed (apt-get install nginx-light)');
  const conf = path.join(options.runtimeDir, 's3-balancer.conf');
  await writeFile(
    conf,
    renderS3BalancerConfig({
      listen: `127.0.0.1:${options.port}`,
      gateways: options.gateways,
      runtimeDir: options.runtimeDir,
      errorLog: path.join(options.logDir, 's3-balancer-error.log'),
      accessLog: path.join(options.logDir, 's3-balancer-access.log'),
    }),
  );
  const balancer = new ManagedProcess(
    's3-balancer',
    nginxBin,
    [
      '-c',
      conf,
      '-p',
      options.runtimeDir,
      '-e',
      path.join(options.logDir, 's3-balancer-error.log'),
      '-g',
      'daemon off;',
    ],
    { env: { PATH: process.env.PATH }, logFile: path.join(options.logDir, 's3-balancer.log') },
  );
  await waitForHttp(`http://127.0.0.1:${options.port}/s3-balancer-health`, 15_000, balancer);
  return balancer;
}

/** Starts Redis (unless given), s3rver (for `s3` without an endpoint), the API, the workers and nginx. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = repoRoot();
  const dataDir = path.resolve(options.dataDir ?? path.join(root, '.data'));
  const runtimeDir = path.join(dataDir, 'run');
  const logDir = path.join(dataDir, 'logs');
  const storageRoot = path.join(dataDir, 'storage');
  for (const dir of [dataDir, runtimeDir, logDir, storageRoot])
    await mkdir(dir, { recursive: true });
  // nginx workers run as nobody when started by root: the served tree must be traversable.
  for (const dir of [dataDir, storageRoot, runtimeDir]) await chmod(dir, 0o755);

  const started: Array<{ stop: () => Promise<void> }> = [];
  const stopAll = async () => {
    for (const item of started.reverse()) await item.stop().catch(() => {});
  };
  try {
    let redis: RedisTestServer | undefined;
    let redisSentinel: RedisSentinelGroup | undefined;
    let redisCluster: RedisClusterGroup | undefined;
    let redisUrl = options.redisUrl ?? '';
    let redisEnv: NodeJS.ProcessEnv = { REDIS_URL: redisUrl };
    if (!redisUrl && options.redisMode === 'sentinel') {
      redisSentinel = await startRedisSentinel({ replicas: options.redisReplicas ?? 2 });
      started.push({ stop: () => redisSentinel!.dispose() });
      redisEnv = {
        REDIS_SENTINELS: redisSentinel.sentinels,
        REDIS_SENTINEL_NAME: redisSentinel.name,
      };
    } else if (!redisUrl && options.redisMode === 'cluster') {
      redisCluster = await startRedisCluster();
      started.push({ stop: () => redisCluster!.dispose() });
      redisEnv = { REDIS_CLUSTER_NODES: redisCluster.nodesList };
    } else if (!redisUrl) {
      redis = await startRedis({ appendOnly: true, dir: path.join(dataDir, 'redis') });
      started.push({ stop: () => redis!.stop() });
      redisUrl = redis.url;
      redisEnv = { REDIS_URL: redisUrl };
    }

    const cdnPort = await portOr(options.cdnPort);
    const apiPort = await portOr(options.apiPort);
    const storageBaseUrl = options.storageBaseUrl ?? `http://localhost:${cdnPort}/static`;
    let storageEnv: NodeJS.ProcessEnv;
    let origin: Parameters<typeof renderNginxConfig>[0]['origin'];
    let rgw: RgwServer | undefined;
    let s3Balancer: ManagedProcess | undefined;
    if ((options.storageType ?? 'local') === 's3') {
      let s3 = options.s3;
      const gatewayCount = options.rgwGateways ?? 1;
      if (!s3) {
        if (gatewayCount > 1 && !rgwAvailable())
          throw new Error(
            `${gatewayCount} S3 gateways need Ceph's radosgw (make setup; Debian: ceph-mon ceph-osd radosgw ceph-common)`,
          );
        const server: S3TestServer =
          gatewayCount > 1
            ? (rgw = await startRgw({ buckets: ['storage'], gateways: gatewayCount }))
            : await startS3Server({ buckets: ['storage'], directory: path.join(dataDir, 's3') });
        started.push(server);
        // A radosgw of this stack's own (not the test run's shared one, whose gateways are not the stack's to kill).
        if (!rgw && server.kind === 'rgw' && 'gateways' in server) rgw = server as RgwServer;
        let endpoint = server.endpoint;
        if (rgw && rgw.gateways.length > 1) {
          const port = await portOr(options.s3BalancerPort);
          s3Balancer = await startS3Balancer({
            port,
            gateways: rgw.gateways.map((gateway) => new URL(gateway.endpoint).host),
            runtimeDir,
            logDir,
          });
          started.push(s3Balancer);
          // Presigned URLs are signed for the host the client uses: the balancer's.
          endpoint = `http://127.0.0.1:${port}`;
        }
        s3 = {
          endpoint,
          // 'storage', or 'storage-<suffix>' on the test run's shared radosgw (a bucket of this stack's own).
          bucket: server.bucket,
          accessKeyId: server.accessKeyId,
          secretAccessKey: server.secretAccessKey,
        };
        // A real server enforces access: make job outputs public for the CDN, nothing else.
        if (server.kind === 'rgw')
          await initStorage(
            new S3StorageAdapter({
              type: 's3',
              s3: { ...s3, region: server.region },
            }),
            // The console page (served by nginx) uploads straight to the bucket.
            {
              corsOrigins: [
                `http://localhost:${cdnPort}`,
                `http://127.0.0.1:${cdnPort}`,
                ...(options.corsOrigins ?? []),
              ],
            },
          );
      }
      storageEnv = {
        STORAGE_TYPE: 's3',
        STORAGE_BASE_URL: storageBaseUrl,
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: s3.bucket,
        S3_REGION: s3.region ?? 'us-east-1',
        S3_ACCESS_KEY_ID: s3.accessKeyId ?? '',
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey ?? '',
      };
      origin = { type: 's3', upstream: new URL(s3.endpoint).host, bucket: s3.bucket };
    } else {
      storageEnv = {
        STORAGE_TYPE: 'local',
        STORAGE_BASE_URL: storageBaseUrl,
        STORAGE_LOCAL_PATH: storageRoot,
      };
      origin = { type: 'local', root: storageRoot };
    }

    const apiKeys = options.apiKeys ?? { [`demo-${randomBytes(16).toString('hex')}`]: 'demo-user' };
    const maxUploadBytes = options.maxUploadBytes ?? 104_857_600;
    // The secrets of signed CDN URLs: the API signs with the first, nginx accepts all of them.
    const cdnSigningKeys =
      options.env?.CDN_SIGNING_KEYS ?? `stack:${randomBytes(32).toString('base64url')}`;
    // Each team's imgproxy key/salt pair: the API mints URLs with it, the imaging service verifies them.
    const imagingKeys =
      options.imagingKeys ??
      [...new Set(Object.values(apiKeys))]
        .map(
          (user) => `${user}:${randomBytes(32).toString('hex')}:${randomBytes(16).toString('hex')}`,
        )
        .join(',');
    const serviceEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // Node's on-disk cache of compiled modules, when the run keeps one (tooling/scripts/test-lanes.sh).
      ...(process.env.NODE_COMPILE_CACHE
        ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE }
        : {}),
      NODE_ENV: 'production',
      ...redisEnv,
      // The S3 client never asks instance metadata for credentials unless the operator opts in.
      AWS_EC2_METADATA_DISABLED: process.env.AWS_EC2_METADATA_DISABLED ?? 'true',
      MAX_UPLOAD_BYTES: String(maxUploadBytes),
      CDN_SIGNING_KEYS: cdnSigningKeys,
      IMAGING_KEYS: imagingKeys,
      IMAGING_PUBLIC_URL: `${new URL(storageBaseUrl).origin}/img`,
      ...storageEnv,
      ...options.env,
    };

    const apiPorts = [apiPort];
    for (let i = 1; i < (options.apis ?? 1); i++) apiPorts.push(await freePort());
    const startApi = async (index: number) => {
      const port = apiPorts[index]!;
      const process_ = new ManagedProcess(
        index === 0 ? 'api' : `api-${index}`,
        process.execPath,
        [path.join(root, 'apps', 'api', 'dist', 'main.js')],
        {
          env: {
            ...serviceEnv,
            API_PORT: String(port),
            API_HOST: '127.0.0.1',
            API_KEYS: Object.entries(apiKeys)
              .map(([key, user]) => `${key}:${user}`)
              .join(','),
          },
          logFile: path.join(logDir, index === 0 ? 'api.log' : `api-${index}.log`),
          echo: options.echo,
        },
      );
      started.push(process_);
      // Ready, not just alive: the API refuses requests (503) until its Redis connection is up.
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 30_000, process_);
      return process_;
    };
    // The services start at once (each waits only for Redis and storage, ready above); the stack is up when
    // every one answers ready.
    const starting: Promise<unknown>[] = [];
    const apis: ManagedProcess[] = [];
    for (let i = 0; i < apiPorts.length; i++)
      starting.push(startApi(i).then((process_) => (apis[i] = process_)));

    const workers: ManagedProcess[] = [];
    const workerUrls: string[] = [];
    let workerIndex = 0;
    const startWorker = async () => {
      const index = workerIndex++;
      const port =
        index === 0 && options.workerHttpPort ? options.workerHttpPort : await freePort();
      const [command, ...args] = [
        ...(options.workerPrefix ?? []),
        process.execPath,
        path.join(root, 'apps', 'worker', 'dist', 'main.js'),
      ];
      const worker = new ManagedProcess(`worker-${index}`, command!, args, {
        env: { ...serviceEnv, WORKER_HTTP_PORT: String(port), MALLOC_ARENA_MAX: '2' },
        logFile: path.join(logDir, `worker-${index}.log`),
        echo: options.echo,
      });
      started.push(worker);
      workers[index] = worker;
      workerUrls[index] = `http://127.0.0.1:${port}`;
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 30_000, worker);
      return worker;
    };
    for (let i = 0; i < (options.workers ?? 1); i++) starting.push(startWorker());

    const imaging: ManagedProcess[] = [];
    const imagingPorts: number[] = [];
    for (let index = 0; index < (options.imaging ?? 1); index++) {
      const port = await freePort();
      const process_ = new ManagedProcess(
        `imaging-${index}`,
        process.execPath,
        [path.join(root, 'apps', 'imaging', 'dist', 'main.js')],
        {
          env: {
            ...serviceEnv,
            IMAGING_PORT: String(port),
            // Local storage: nginx serves stored renders itself (X-Accel-Redirect); over S3 the service streams them.
            IMAGING_ACCEL_REDIRECT: origin.type === 'local' ? IMAGING_ACCEL_PATH : '',
            MALLOC_ARENA_MAX: '2',
          },
          logFile: path.join(logDir, `imaging-${index}.log`),
          echo: options.echo,
        },
      );
      started.push(process_);
      imaging.push(process_);
      imagingPorts.push(port);
      starting.push(waitForHttp(`http://127.0.0.1:${port}/readyz`, 30_000, process_));
    }

    const nginxBin = NGINX.find((candidate) => existsSync(candidate));
    if (!nginxBin) throw new Error('nginx is not installed (apt-get install nginx-light)');
    const conf = path.join(runtimeDir, 'nginx.conf');
    const signingInclude = path.join(runtimeDir, 'cdn-signing.conf');
    await writeFile(signingInclude, renderSigningInclude(parseCdnSigningKeys(cdnSigningKeys)), {
      mode: 0o600,
    });
    await writeFile(
      conf,
      renderNginxConfig({
        cdnPort,
        apiUpstream: apiPorts.map((port) => `127.0.0.1:${port}`),
        imagingUpstream: imagingPorts.map((port) => `127.0.0.1:${port}`),
        origin,
        runtimeDir,
        maxUploadBytes,
        errorLog: path.join(logDir, 'nginx-error.log'),
        accessLog: path.join(logDir, 'nginx-access.log'),
        userDirective: await nginxUserDirective(storageRoot, path.join(root, 'docker', 'console')),
        signingInclude,
        corsOrigins: options.corsOrigins ?? [],
        console: {
          root: path.join(root, 'docker', 'console'),
          imgOrigins: [new URL(storageBaseUrl).origin],
          connectOrigins: storageEnv.S3_ENDPOINT ? [new URL(storageEnv.S3_ENDPOINT).origin] : [],
        },
      }),
    );
    const nginx = new ManagedProcess(
      'nginx',
      nginxBin,
      [
        '-c',
        conf,
        '-p',
        runtimeDir,
        '-e',
        path.join(logDir, 'nginx-error.log'),
        '-g',
        'daemon off;',
      ],
      {
        env: serviceEnv,
        logFile: path.join(logDir, 'nginx.log'),
        errorLogs: [path.join(logDir, 'nginx-error.log')],
      },
    );
    started.push({ stop: () => nginx.stop() });
    starting.push(waitForHttp(`http://127.0.0.1:${cdnPort}/nginx-health`, 15_000, nginx));
    // All of them, even after a failure (the first one's error is thrown once every start has settled).
    const failure = (await Promise.allSettled(starting)).find(
      (result) => result.status === 'rejected',
    );
    if (failure) throw failure.reason;
    let api = apis[0]!;

    return {
      cdnUrl: `http://127.0.0.1:${cdnPort}`,
      apiUrl: `http://127.0.0.1:${apiPort}`,
      gatewayUrl: `http://127.0.0.1:${cdnPort}/api`,
      apiKeys,
      redisUrl,
      redisEnv,
      ...(redisSentinel ? { redisSentinel } : {}),
      ...(redisCluster ? { redisCluster } : {}),
      ...(rgw ? { rgw } : {}),
      ...(s3Balancer ? { s3Balancer } : {}),
      storageEnv,
      dataDir,
      workers,
      workerUrls,
      get api() {
        return api;
      },
      nginx,
      imaging,
      imagingUrls: imagingPorts.map((port) => `http://127.0.0.1:${port}`),
      imagingKeys,
      startWorker,
      apis,
      apiUrls: apiPorts.map((port) => `http://127.0.0.1:${port}`),
      restartApi: async (index = 0) => {
        const old = apis[index]!;
        old.kill('SIGKILL');
        await old.exited();
        const fresh = await startApi(index);
        apis[index] = fresh;
        if (index === 0) api = fresh;
        return fresh;
      },
      ...(redis ? { redis } : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
