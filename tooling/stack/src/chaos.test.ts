import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { UploadIntentAnswer } from '@monorepo/api-client';
import { rgwAvailable } from '@monorepo/dev-servers';
import { limitsPrefix } from '@monorepo/image-queue';
import { KEY_LAYOUT, StorageFactory } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import { PrometheusMonitoring, createLogger } from '@monorepo/observability';
import { UploadIntents, UsageLedger, UserJobs } from '@monorepo/tenant-limits';
import { runJanitor } from '@monorepo/worker/janitor';
import type { JanitorReport } from '@monorepo/worker/janitor';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import { pacer } from './test-load-helpers.js';
import type { Stack } from './stack.js';

// The chaos test of issue #24: three tenants run a steady mix of uploads, direct uploads, jobs and signed reads
// against APIS=2 WORKERS=3, S3 on two radosgw gateways behind one nginx endpoint, Redis under Sentinel (two
// replicas); meanwhile kill -9, in turn, the Redis master, one API, one worker, one gateway, and the new Redis
// master (a supervisor starts each again, in the background). `make test` runs the short form (2 s between kills);
// `make test-chaos` sets CHAOS_FULL=1 for the full one (6 s).

const FULL = ['1', 'true'].includes((process.env.CHAOS_FULL ?? '').toLowerCase());
const GAP_MS = FULL ? 6_000 : 2_000;
const TENANTS = {
  'chaos-key-tenant-a-0123456789abcdef': 'tenant-a',
  'chaos-key-tenant-b-0123456789abcdef': 'tenant-b',
  'chaos-key-tenant-c-0123456789abcdef': 'tenant-c',
};
/** A request that got no answer in this long counts as a hang. */
const HANG_MS = 30_000;
// Each tenant takes a step (an upload, a direct upload, a job, a signed read) at most every 150 ms.
const STEP_PERIOD_MS = 150;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Op =
  'upload' | 'intent' | 'direct-put' | 'complete' | 'job' | 'sign' | 'signed-read' | 'job-status';

/** One request: `status` 0 is a refused or reset connection, -1 no answer within {@link HANG_MS}. */
interface Outcome {
  at: number;
  /** When the answer (or the error) came. */
  end: number;
  op: Op;
  status: number;
  retryAfter: boolean;
}

interface KillEvent {
  name: string;
  at: number;
  /** When the killed process was running again (its supervisor's restart), relative to the start. */
  backAt?: number;
}

async function photo(seed: number): Promise<Buffer> {
  return sharp({
    create: {
      width: 160 + (seed % 7) * 8,
      height: 120,
      channels: 3,
      background: { r: (seed * 37) % 256, g: (seed * 91) % 256, b: 160 },
    },
  })
    .jpeg()
    .toBuffer();
}

describe.skipIf(!rgwAvailable())(
  `chaos (${FULL ? 'full' : 'short'}): APIS=2 WORKERS=3, two radosgw gateways behind nginx, Redis Sentinel with two replicas`,
  () => {
    const ctx = {} as { stack: Stack; storage: StorageAdapter; dataDir: string };
    beforeAll(async () => {
      ctx.dataDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-'));
      ctx.stack = await startStack({
        dataDir: ctx.dataDir,
        storageType: 's3',
        rgwGateways: 2,
        redisMode: 'sentinel',
        redisReplicas: 2,
        apis: 2,
        workers: 3,
        apiKeys: TENANTS,
        env: {
          LOG_LEVEL: 'warn',
          WORKER_LOCK_DURATION_MS: '5000',
          WORKER_STALLED_INTERVAL_MS: '2000',
          API_RATE_LIMIT: '100000',
        },
      });
      ctx.storage = StorageFactory.fromEnv(ctx.stack.storageEnv);
    }, 240_000);
    afterAll(async () => {
      await ctx.stack?.stop();
      if (ctx.dataDir) await rm(ctx.dataDir, { recursive: true, force: true });
    });

    it('loses no acknowledged upload or job, makes no duplicate, keeps usage exact, fails over each time in < 10 s', async () => {
      const { stack, storage } = ctx;
      const group = stack.redisSentinel!;
      const gateway = stack.rgw!.gateways[0]!;
      const images = await Promise.all(Array.from({ length: 12 }, (_, i) => photo(i)));
      const t0 = Date.now();
      const now = () => Date.now() - t0;
      const outcomes: Outcome[] = [];
      const events: KillEvent[] = [];
      const acked = {
        uploads: [] as Array<{ user: string; key: string; body: Buffer; via: 'api' | 'direct' }>,
        jobs: new Map<string, { apiKey: string; idempotency: string }>(),
      };
      /** Idempotency key → every job id the API answered for it (more than one would be a duplicate job). */
      const jobIdsOf = new Map<string, Set<string>>();
      let readMismatches = 0;
      /** Direct uploads whose bytes were sent but whose completion never got a 201 (a failover interrupted it). */
      let unresolvedCompletions = 0;
      const wrongEndpoint: string[] = [];
      let running = true;

      /** One request through `url`, recorded; never throws. */
      const request = async (op: Op, url: string, init: RequestInit = {}) => {
        const started = Date.now();
        try {
          const res = await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_MS) });
          outcomes.push({
            at: started - t0,
            end: now(),
            op,
            status: res.status,
            retryAfter: res.headers.has('retry-after'),
          });
          return res;
        } catch (error) {
          const hang = (error as Error).name === 'TimeoutError';
          outcomes.push({
            at: started - t0,
            end: now(),
            op,
            status: hang ? -1 : 0,
            retryAfter: false,
          });
          return undefined;
        }
      };
      const backoff = async (res: Response | undefined) => {
        await res?.body?.cancel().catch(() => {});
        const after = Number(res?.headers.get('retry-after') ?? 0);
        await sleep(Math.min(Math.max(after * 1000, 200), 1000));
      };

      const tenant = async (apiKey: string, user: string, index: number) => {
        const auth = { authorization: `Bearer ${apiKey}` };
        const api = (route: string, init: RequestInit = {}) => ({
          url: `${stack.gatewayUrl}${route}`,
          init: { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } },
        });
        const call = (op: Op, route: string, init: RequestInit = {}) => {
          const { url, init: full } = api(route, init);
          return request(op, url, full);
        };
        const json = (body: unknown) => ({
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });
        const mine: Array<{ key: string; body: Buffer }> = [];
        const next = pacer(STEP_PERIOD_MS);
        for (let n = 0; running; n++) {
          await next();
          const body = images[(index * 5 + n) % images.length]!;
          const step = n % 4;
          if (step === 0) {
            // An upload through the API.
            const res = await call('upload', `/v1/files?name=u${n}.jpg`, {
              method: 'POST',
              body,
              headers: { 'content-type': 'image/jpeg' },
            });
            if (res?.status !== 201) {
              await backoff(res);
              continue;
            }
            const { key } = (await res.json()) as { key: string };
            acked.uploads.push({ user, key, body, via: 'api' });
            mine.push({ key, body });
          } else if (step === 1) {
            // A direct upload: announce, PUT to S3 (the balancer) with the presigned URL, complete.
            const announced = await call('intent', '/v1/uploads', {
              method: 'POST',
              ...json({ name: `d${n}.jpg`, contentType: 'image/jpeg', size: body.length }),
            });
            if (announced?.status !== 201) {
              await backoff(announced);
              continue;
            }
            const intent = (await announced.json()) as UploadIntentAnswer;
            const { upload } = intent;
            // Signed for the one S3 endpoint (the balancer), never for a gateway behind it.
            if (new URL(upload.url).origin !== stack.storageEnv.S3_ENDPOINT)
              wrongEndpoint.push(upload.url);
            let put: Response | undefined;
            for (let attempt = 0; attempt < 10 && running; attempt++) {
              if (upload.method === 'POST') {
                // A presigned POST (the policy bounds type and size); the same form may be sent again.
                const form = new FormData();
                for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
                form.append(upload.fileField, new Blob([body], { type: 'image/jpeg' }), 'file');
                put = await request('direct-put', upload.url, { method: 'POST', body: form });
              } else {
                put = await request('direct-put', upload.url, {
                  method: 'PUT',
                  body,
                  headers: upload.headers,
                });
              }
              if (put?.ok) break;
              await backoff(put);
            }
            await put?.body?.cancel().catch(() => {});
            if (!put?.ok) continue;
            let completed = false;
            for (let attempt = 0; attempt < 20; attempt++) {
              const done = await call('complete', `/v1/uploads/${intent.id}/complete`, {
                method: 'POST',
              });
              if (done?.status === 201) {
                await done.body?.cancel();
                acked.uploads.push({ user, key: intent.key, body, via: 'direct' });
                mine.push({ key: intent.key, body });
                completed = true;
                break;
              }
              // A refusal that is an answer (not a failover) ends the attempt.
              if (done && done.status < 500 && done.status !== 429) {
                await done.body?.cancel();
                break;
              }
              await backoff(done);
            }
            if (!completed) unresolvedCompletions += 1;
          } else if (step === 2 && mine.length > 0) {
            // A job for one of this tenant's files; the same Idempotency-Key on every try.
            const sourceKey = mine[mine.length - 1]!.key;
            const idempotency = randomUUID();
            for (let attempt = 0; attempt < 20 && running; attempt++) {
              const res = await call('job', '/v1/images', {
                method: 'POST',
                ...json({ tool: 'dall-e', sourceKey }),
                headers: { 'content-type': 'application/json', 'idempotency-key': idempotency },
              });
              if (res?.status === 202) {
                const { jobId } = (await res.json()) as { jobId: string };
                acked.jobs.set(jobId, { apiKey, idempotency });
                const ids = jobIdsOf.get(idempotency) ?? new Set<string>();
                ids.add(jobId);
                jobIdsOf.set(idempotency, ids);
                break;
              }
              await backoff(res);
            }
          } else if (step === 3 && mine.length > 0) {
            // A signed read through the CDN of a file this tenant stored.
            const file = mine[n % mine.length]!;
            const route = `/v1/signed-urls/${file.key.split('/').map(encodeURIComponent).join('/')}`;
            const signed = await call('sign', route);
            if (signed?.status !== 200) {
              await backoff(signed);
              continue;
            }
            const { url } = (await signed.json()) as { url: string };
            const read = await request('signed-read', url);
            if (read?.status === 200) {
              const bytes = Buffer.from(await read.arrayBuffer());
              if (!bytes.equals(file.body)) readMismatches += 1;
            } else await backoff(read);
          }
        }
      };
      const load = Object.entries(TENANTS).map(([apiKey, user], i) => tenant(apiKey, user, i));

      /** Kills the master; resolves at the promotion, with the supervisor's restart (and rejoin) going on. */
      const redisMaster = async (name: string) => {
        const master = await group.master();
        const event: KillEvent = { name, at: now() };
        events.push(event);
        await master.stop('SIGKILL');
        await group.waitForFailover(master);
        const promotionMs = now() - event.at;
        // Its supervisor starts the killed node again; Sentinel makes it a replica of the new master.
        const rejoined = master
          .start()
          .then(() => group.waitForReplicas(2))
          .then(() => {
            event.backAt = now();
          });
        return { promotionMs, rejoined };
      };

      await sleep(GAP_MS);
      const first = await redisMaster('redis master');
      await sleep(GAP_MS);

      // Each killed process is started again by its supervisor after a while, in the background, as the next
      // kill goes on.
      const supervise = (event: KillEvent, restart: () => Promise<unknown>) =>
        sleep(GAP_MS)
          .then(restart)
          .then(() => {
            event.backAt = now();
          });
      const apiEvent: KillEvent = { name: 'api', at: now() };
      events.push(apiEvent);
      stack.apis[1]!.kill('SIGKILL');
      const apiBack = supervise(apiEvent, () => stack.restartApi(1));
      await sleep(GAP_MS);

      const workerEvent: KillEvent = { name: 'worker', at: now() };
      events.push(workerEvent);
      stack.workers[1]!.kill('SIGKILL');
      const workerBack = supervise(workerEvent, () => stack.startWorker());
      await sleep(GAP_MS);

      const gatewayEvent: KillEvent = { name: 'radosgw gateway', at: now() };
      events.push(gatewayEvent);
      await gateway.kill('SIGKILL');
      const gatewayBack = supervise(gatewayEvent, () => gateway.start());
      await sleep(GAP_MS);

      // The old master must be a replica again first: else the last promotion leaves a master with no replica,
      // which refuses writes (min-replicas-to-write 1) until one rejoins.
      await first.rejoined;
      const second = await redisMaster('new redis master');
      await sleep(GAP_MS);
      await Promise.all([second.rejoined, apiBack, workerBack, gatewayBack]);
      running = false;
      await Promise.all(load);
      const loadEndedAt = now();

      // Every acknowledged upload is there, byte for byte.
      let lostUploads = 0;
      for (const { key, body } of acked.uploads) {
        const stored = await storage.download(key).catch(() => undefined);
        if (!stored?.equals(body)) lostUploads += 1;
      }
      // Every acknowledged job completes or fails; none vanishes or stays unfinished.
      const failureReasons: string[] = [];
      const finals = await Promise.all(
        [...acked.jobs].map(async ([jobId, { apiKey }]) => {
          const deadline = Date.now() + 240_000;
          for (;;) {
            const res = await fetch(`${stack.gatewayUrl}/v1/images/${jobId}?wait=5`, {
              headers: { authorization: `Bearer ${apiKey}` },
              signal: AbortSignal.timeout(HANG_MS),
            }).catch(() => undefined);
            if (res?.status === 200) {
              const job = (await res.json()) as { status: string; error?: unknown };
              if (job.status === 'failed') failureReasons.push(JSON.stringify(job.error ?? null));
              if (job.status === 'completed' || job.status === 'failed') return job.status;
            } else if (res?.status === 404) return 'vanished';
            else await res?.body?.cancel();
            if (Date.now() > deadline) return 'unfinished';
            await sleep(250);
          }
        }),
      );
      const jobsDoneAt = now();
      const jobsNeverFinished = finals.filter((f) => f === 'vanished' || f === 'unfinished').length;

      // Variant sets: one per job (the stamps are derived from the job id, so a re-run overwrites), and one job
      // per Idempotency-Key.
      const stampsOf = new Map<string, Set<string>>();
      const jobDirs = new Set<string>();
      for await (const item of storage.listAll('processed/')) {
        const match = /^processed\/[^/]+\/[^/]+\/([^/]+)\/(.+)-([0-9a-f]{12})\.[a-z]+$/.exec(
          item.key,
        );
        if (!match) continue;
        const [, jobId, variant, stamp] = match as unknown as [string, string, string, string];
        jobDirs.add(jobId);
        const stamps = stampsOf.get(`${jobId}/${variant}`) ?? new Set<string>();
        stamps.add(stamp);
        stampsOf.set(`${jobId}/${variant}`, stamps);
      }
      const duplicateVariantSets =
        [...stampsOf.values()].filter((stamps) => stamps.size > 1).length +
        [...jobIdsOf.values()].filter((ids) => ids.size > 1).length;
      // Outputs of a job no client was told of: a job created twice behind a lost answer would show here.
      const unacknowledgedJobOutputs = [...jobDirs].filter((id) => !acked.jobs.has(id)).length;

      // Usage against a fresh listing of uploads/<user>/: first as the failovers left it, then after one janitor
      // pass (clock past every intent's deadline), which settles completions a failover interrupted (their object
      // is removed: no client was told of it) and releases their holds, then reconciles from the listing.
      const usageVsListing = async () => {
        const mismatches: unknown[] = [];
        for (const [apiKey, user] of Object.entries(TENANTS)) {
          let bytes = 0;
          let objects = 0;
          for await (const item of storage.listAll(`${KEY_LAYOUT.uploadsRoot}${user}/`)) {
            bytes += item.size;
            objects += 1;
          }
          const res = await fetch(`${stack.gatewayUrl}/v1/usage`, {
            headers: { authorization: `Bearer ${apiKey}` },
          });
          const { storage: usage } = (await res.json()) as {
            storage: { bytes: number; objects: number; reservedBytes: number };
          };
          if (usage.bytes !== bytes || usage.objects !== objects || usage.reservedBytes !== 0)
            mismatches.push({
              user,
              usage: { bytes: usage.bytes, objects: usage.objects, reserved: usage.reservedBytes },
              listing: { bytes, objects },
            });
        }
        return mismatches;
      };
      const usageBeforeJanitor = await usageVsListing();
      const connection = {
        sentinels: group.sentinels.split(',').map((entry) => {
          const [host, port] = entry.split(':');
          return { host: host!, port: Number(port) };
        }),
        name: group.name,
      };
      const redis = new Redis(connection);
      const imageQueue = new Queue('image-processing', { connection });
      let janitor: JanitorReport;
      const corrections: unknown[] = [];
      try {
        const prefix = limitsPrefix('image-processing');
        const ledger = new UsageLedger(redis, { prefix, clock: () => Date.now() + 24 * 3600_000 });
        janitor = await runJanitor({
          storage,
          ledger,
          intents: new UploadIntents(ledger),
          userJobs: new UserJobs(redis, { prefix }),
          imageQueue,
          staleAfterMs: 3600_000,
          monitoring: new PrometheusMonitoring({ prefix: 'chaos_', defaultMetrics: false }),
          logger: createLogger('chaos-janitor', {
            level: 'warn',
            destination: {
              write: (line: string) => {
                const entry = JSON.parse(line) as { msg?: string; user?: string };
                if (entry.msg === 'usage corrected from a listing') corrections.push(entry);
              },
            },
          }),
        });
      } finally {
        await imageQueue.close();
        redis.disconnect();
      }
      const usageMismatches = await usageVsListing();

      // Failures by status and by window (from each kill to the next), and the longest run of 5xx answers.
      const sorted = [...outcomes].sort((a, b) => a.end - b.end);
      const ok = (o: Outcome) => o.status > 0 && o.status < 400;
      const windows = events.map((event, i) => {
        const end = events[i + 1]?.at ?? loadEndedAt;
        const inWindow = sorted.filter((o) => o.end >= event.at && o.end < end);
        const failed = inWindow.filter((o) => !ok(o));
        const byStatus: Record<string, number> = {};
        for (const o of failed)
          byStatus[`${o.op} ${o.status}`] = (byStatus[`${o.op} ${o.status}`] ?? 0) + 1;
        // The longest stretch from a 5xx (or refused connection) to the next success.
        let longest5xx = 0;
        let start: number | undefined;
        for (const o of inWindow) {
          if (o.status >= 500 || o.status <= 0) start ??= o.end;
          else if (ok(o) && start !== undefined) {
            longest5xx = Math.max(longest5xx, o.end - start);
            start = undefined;
          }
        }
        if (start !== undefined) longest5xx = Math.max(longest5xx, end - start);
        const lastFailure = failed.filter((o) => o.status >= 500 || o.status <= 0).at(-1)?.end;
        return {
          kill: event.name,
          atMs: event.at,
          backAfterMs: event.backAt !== undefined ? event.backAt - event.at : undefined,
          requests: inWindow.length,
          failed: failed.length,
          byStatus,
          longest5xxMs: longest5xx,
          // From the kill to the last 5xx or refused connection: every request after it was answered.
          recoveryMs: lastFailure !== undefined ? lastFailure - event.at : 0,
        };
      });
      const before = sorted.filter((o) => o.end < events[0]!.at && !ok(o)).length;
      const failedTotal: Record<string, number> = {};
      for (const o of sorted.filter((o) => !ok(o)))
        failedTotal[o.status] = (failedTotal[o.status] ?? 0) + 1;
      const lastEvent = events.at(-1)!;
      const report = {
        form: FULL ? 'full' : 'short',
        requests: outcomes.length,
        acknowledgedUploads: acked.uploads.length,
        directUploads: acked.uploads.filter((u) => u.via === 'direct').length,
        acknowledgedJobs: acked.jobs.size,
        signedReads: outcomes.filter((o) => o.op === 'signed-read' && o.status === 200).length,
        lostUploads,
        jobsNeverFinished,
        jobsFailed: finals.filter((f) => f === 'failed').length,
        jobFailureReasons: [...new Set(failureReasons)],
        duplicateVariantSets,
        unacknowledgedJobOutputs,
        readMismatches,
        // Completions a failover interrupted (a 503, then 400 "being completed already"): the janitor settles
        // them once past their deadline, removing the object no client was told of.
        unresolvedCompletions,
        usageBeforeJanitor,
        // Ledger writes the failovers lost (replication is asynchronous; only job ids wait for a replica):
        // the janitor's reconciliation from the listing puts them right.
        janitorUsageCorrected: janitor.usageCorrected,
        janitorUsageCorrections: corrections,
        usageMismatches,
        failedBeforeFirstKill: before,
        failedByStatus: failedTotal,
        promotionMs: [first.promotionMs, second.promotionMs],
        windows,
        // From the last kill until every process was back and every request after it succeeded.
        fullRecoveryMs: Math.max(
          Math.max(...events.map((event) => event.backAt ?? event.at)) - lastEvent.at,
          windows.at(-1)!.recoveryMs,
        ),
        jobsDrainedAfterLoadMs: jobsDoneAt - loadEndedAt,
      };
      console.log('chaos report', JSON.stringify(report, null, 1));

      expect(acked.uploads.length).toBeGreaterThan(10);
      expect(report.directUploads).toBeGreaterThan(2);
      expect(acked.jobs.size).toBeGreaterThan(3);
      expect(report.signedReads).toBeGreaterThan(3);
      expect(lostUploads).toBe(0);
      expect(readMismatches).toBe(0);
      expect(wrongEndpoint).toEqual([]);
      expect(jobsNeverFinished).toBe(0);
      expect(duplicateVariantSets).toBe(0);
      expect(unacknowledgedJobOutputs).toBe(0);
      expect(usageMismatches).toEqual([]);
      expect(before).toBe(0);
      // Never a hang or a 500; a 503 from the API carries Retry-After.
      expect(outcomes.filter((o) => o.status === -1)).toEqual([]);
      expect(outcomes.filter((o) => o.status === 500)).toEqual([]);
      expect(
        outcomes.filter(
          (o) =>
            o.status === 503 && !o.retryAfter && o.op !== 'direct-put' && o.op !== 'signed-read',
        ),
      ).toEqual([]);
      for (const window of windows) expect(window.longest5xxMs, window.kill).toBeLessThan(10_000);
      for (const ms of report.promotionMs) expect(ms).toBeLessThan(10_000);
    }, 600_000);
  },
);
