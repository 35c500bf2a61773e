import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './free-port.js';
import type { S3TestServer } from './s3-test-server-handle.js';

const run = promisify(execFile);
const BINARIES = [
  'ceph-mon',
  'ceph-osd',
  'radosgw',
  'radosgw-admin',
  'monmaptool',
  'ceph-authtool',
  'ceph',
];
const SBIN = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

function which(name: string): string | undefined {
  return SBIN.map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
}

/** True when Ceph's radosgw and its daemons are installed (Debian: ceph-mon ceph-osd radosgw ceph-common). */
export function rgwAvailable(): boolean {
  return BINARIES.every((name) => which(name) !== undefined);
}

/** Options for {@link startRgw}. */
export interface RgwOptions {
  /** Buckets created at start (default `['test-bucket']`). */
  buckets?: string[];
  /** RAM the object store may fill, in bytes (default 1.5 GiB; only what is stored is used). */
  storeBytes?: number;
  /**
   * radosgw processes over the one cluster (default 1): each its own `[client.rgw.<name>]` section and beast
   * port, all serving the same user and buckets, as several gateways behind a load balancer do in production.
   */
  gateways?: number;
}

/** One radosgw process of {@link startRgw}, which a test may kill and start again. */
export interface RgwGateway {
  /** `client.rgw.<name>` in ceph.conf: `a`, `b`, … */
  readonly name: string;
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** True while its process runs. */
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL, a crash) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (after {@link kill}); resolves once it answers S3 requests. */
  start(): Promise<void>;
}

/** A radosgw started by {@link startRgw}: `endpoint` is the first gateway's. */
export interface RgwServer extends S3TestServer {
  kind: 'rgw';
  gateways: RgwGateway[];
}

/** Every daemon started, so a crashed test process still takes them down. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const GATEWAY_NAMES = 'abcdefghijklmnopqrstuvwxyz';

function gatewaySection(dir: string, name: string, port: number): string {
  return `[client.rgw.${name}]
rgw frontends = beast endpoint=127.0.0.1:${port} tcp_nodelay=1
rgw data = ${dir}/rgw/${name}
# Deleted data is otherwise kept for two hours, filling the memstore across suites.
rgw gc obj min wait = 5
rgw gc processor period = 5
`;
}

function config(dir: string, fsid: string, monPort: number, rgwPorts: number[], bytes: number) {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
mon initial members = a
ms bind msgr1 = false
ms bind ipv6 = false
# With auth none, radosgw loops on get_initial_auth_request -13 unless the mon client mode is crc.
ms mon client mode = crc
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
# Cold start in ~2 s instead of ~12 s.
paxos propose interval = 0.05
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
crash dir = ${dir}/crash
log file = ${dir}/log/$name.log
pid file = ${dir}/run/$name.pid
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = ${bytes}
keyring = ${dir}/keyring

${rgwPorts.map((port, i) => gatewaySection(dir, GATEWAY_NAMES[i]!, port)).join('\n')}`;
}

function daemon(name: string, args: string[]): ChildProcess {
  // Its own process group: a Ctrl-C in the terminal stops it only when its owner says so.
  const child = spawn(which(name)!, args, { stdio: 'ignore', detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

async function stopDaemon(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function waitForHttp(
  url: string,
  timeoutMs: number,
  daemons: () => ChildProcess[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = daemons().find((child) => child.exitCode !== null);
    if (dead) throw new Error(`a Ceph daemon exited during start (code ${dead.exitCode})`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.status < 500,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`radosgw did not answer at ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts a single-node Ceph cluster with the RADOS gateway (a production S3 implementation that verifies
 * signatures and presigned URLs) on free loopback ports, everything in one temporary directory: a monitor, one
 * OSD on an in-memory object store, and radosgw. Creates an S3 user with random keys and the given buckets.
 * With `gateways: n`, n radosgw processes serve the same cluster on their own ports (`gateways`, each of which
 * can be killed and started again). `stop()` stops exactly these processes (radosgw, then the OSD, then the
 * monitor: in another order radosgw hangs in shutdown) and removes the directory. Takes about 2–3 s.
 */
export async function startRgw(options: RgwOptions = {}): Promise<RgwServer> {
  if (!rgwAvailable())
    throw new Error(
      'radosgw is not installed (Debian: apt-get install ceph-mon ceph-osd radosgw ceph-common)',
    );
  // A port that was free a moment ago can be taken before a daemon binds it (test files run in parallel):
  // try again on fresh ports, in a fresh directory.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRgwOnce(options);
    } catch (error) {
      if (attempt >= 3 || !/Address already in use|exited during start/.test(String(error)))
        throw error;
    }
  }
}

async function startRgwOnce(options: RgwOptions): Promise<RgwServer> {
  const buckets = options.buckets ?? ['test-bucket'];
  const count = options.gateways ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > GATEWAY_NAMES.length)
    throw new Error(`gateways must be 1..${GATEWAY_NAMES.length}, not ${count}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rgw-'));
  for (const sub of ['run', 'crash', 'log', 'mon', 'osd', 'rgw']) await mkdir(path.join(dir, sub));
  const monPort = await freePort();
  const rgwPorts: number[] = [];
  for (let i = 0; i < count; i++) {
    rgwPorts.push(await freePort());
    await mkdir(path.join(dir, 'rgw', GATEWAY_NAMES[i]!));
  }
  const fsid = randomUUID();
  const conf = path.join(dir, 'ceph.conf');
  await writeFile(
    conf,
    config(dir, fsid, monPort, rgwPorts, options.storeBytes ?? 1.5 * 1024 ** 3),
  );
  const ceph = (name: string, args: string[]) =>
    run(which(name)!, args, { env: { ...process.env, CEPH_CONF: conf } });
  // The monitor and the OSD; the gateways keep their current process in `processes`.
  const daemons: ChildProcess[] = [];
  const processes: Array<ChildProcess | undefined> = rgwPorts.map(() => undefined);
  const alive = () => [...daemons, ...processes.filter((p): p is ChildProcess => p !== undefined)];
  const stop = async () => {
    for (const child of processes) if (child) await stopDaemon(child);
    for (const child of [...daemons].reverse()) await stopDaemon(child);
    await rm(dir, { recursive: true, force: true });
  };
  const gateways: RgwGateway[] = rgwPorts.map((port, index) => {
    const name = GATEWAY_NAMES[index]!;
    const endpoint = `http://127.0.0.1:${port}`;
    return {
      name,
      endpoint,
      port,
      get running() {
        const child = processes[index];
        return child !== undefined && child.exitCode === null && child.signalCode === null;
      },
      kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
        const child = processes[index];
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill(signal);
        await exited;
      },
      start: async () => {
        const child = processes[index];
        if (child && child.exitCode === null && child.signalCode === null) return;
        processes[index] = daemon('radosgw', ['-c', conf, '-n', `client.rgw.${name}`, '-f']);
        await waitForHttp(endpoint, 30_000, () => [processes[index]!]);
      },
    };
  });
  try {
    await ceph('ceph-authtool', [
      '--create-keyring',
      path.join(dir, 'keyring'),
      '--gen-key',
      '-n',
      'mon.',
      '--cap',
      'mon',
      'allow *',
    ]);
    const monmap = path.join(dir, 'monmap');
    await ceph('monmaptool', [
      '--create',
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      '--fsid',
      fsid,
      monmap,
    ]);
    await ceph('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', monmap, '-c', conf]);
    daemons.push(daemon('ceph-mon', ['-i', 'a', '-c', conf, '-f']));
    const osdUuid = randomUUID();
    const osdId = (await ceph('ceph', ['-c', conf, 'osd', 'new', osdUuid])).stdout.trim();
    await mkdir(path.join(dir, 'osd', `ceph-${osdId}`), { recursive: true });
    await ceph('ceph-osd', ['-i', osdId, '--mkfs', '--osd-uuid', osdUuid, '-c', conf]);
    daemons.push(daemon('ceph-osd', ['-i', osdId, '-c', conf, '-f']));
    processes[0] = daemon('radosgw', ['-c', conf, '-n', 'client.rgw.a', '-f']);
    const accessKeyId = `RGW${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(24).toString('base64url');
    await ceph('radosgw-admin', [
      '-c',
      conf,
      'user',
      'create',
      '--uid',
      'test',
      '--display-name',
      'test',
      '--access-key',
      accessKeyId,
      '--secret-key',
      secretAccessKey,
    ]);
    const endpoint = gateways[0]!.endpoint;
    await waitForHttp(endpoint, 30_000, alive);
    // The others once the first has created the zone's pools (two creating them at once can fail).
    await Promise.all(gateways.slice(1).map((gateway) => gateway.start()));
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    try {
      for (const bucket of buckets) await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
    return {
      endpoint,
      region: 'us-east-1',
      bucket: buckets[0]!,
      accessKeyId,
      secretAccessKey,
      standIn: false,
      kind: 'rgw',
      gateways,
      stop,
    };
  } catch (error) {
    const logs = await readFile(path.join(dir, 'log', 'client.rgw.a.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`could not start radosgw: ${(error as Error).message}\n${logs.slice(-2000)}`, {
      cause: error,
    });
  }
}
