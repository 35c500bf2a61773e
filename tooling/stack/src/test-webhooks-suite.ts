import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StorageFactory, isStorageError } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY_A = 'webhooks-key-team-a-0123456789abcdef-1';
const KEY_B = 'webhooks-key-team-b-0123456789abcdef-2';
/** Waits before each retry, shortened by configuration: 4 attempts in all. */
const SCHEDULE = '300ms,600ms,900ms';
const ATTEMPT_TIMEOUT_MS = 1500;

/** One request a receiver got, and what it found when it got it. */
interface Received {
  id: string;
  headers: Record<string, string>;
  body: string;
  /** What the receiver's check said at arrival (the fact the event reports, read back through the API). */
  seen?: unknown;
}

/**
 * A real HTTP receiver with one route per name: each answers with its script in turn (`hang` never answers),
 * the last entry repeating, and keeps every request.
 */
async function startReceiver() {
  const scripts = new Map<string, Array<number | 'hang'>>();
  const got = new Map<string, Received[]>();
  const checks = new Map<string, (message: Received) => Promise<unknown>>();
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const name = (req.url ?? '/').slice(1);
        const list = got.get(name) ?? [];
        got.set(name, list);
        const message: Received = {
          id: String(req.headers['webhook-id']),
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
          body: Buffer.concat(chunks).toString('utf8'),
        };
        const check = checks.get(name);
        if (check) message.seen = await check(message).catch((error: Error) => error.message);
        list.push(message);
        for (const wake of waiters.splice(0)) wake();
        const script = scripts.get(name) ?? [200];
        const answer = script.length > 1 ? script.shift()! : script[0]!;
        if (answer === 'hang') return;
        res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (name: string, script: Array<number | 'hang'> = [200]) => {
      scripts.set(name, [...script]);
      return `${base}/${name}`;
    },
    onArrival: (name: string, check: (message: Received) => Promise<unknown>) =>
      checks.set(name, check),
    got: (name: string) => got.get(name) ?? [],
    /** Waits until `name` got `n` requests. */
    async wait(name: string, n: number, timeoutMs = 30_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while ((got.get(name)?.length ?? 0) < n) {
        if (Date.now() > deadline)
          throw new Error(`${name} got ${got.get(name)?.length ?? 0} of ${n} requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return got.get(name)!;
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** The webhook end-to-end suite on one storage backend: real Redis, nginx, API, worker, receivers. */
export function describeWebhooks(storageType: 'local' | 's3'): void {
  describe(`webhooks with ${storageType} storage (real stack, real receivers, standardwebhooks verifies)`, () => {
    let stack: Stack;
    let dataDir: string;
    let storage: StorageAdapter;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let photo: Buffer;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), `webhooks-${storageType}-`));
      receiver = await startReceiver();
      photo = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#48c' } })
        .jpeg()
        .toBuffer();
      stack = await startStack({
        dataDir,
        storageType,
        apiKeys: { [KEY_A]: 'team-a', [KEY_B]: 'team-b' },
        env: {
          LOG_LEVEL: 'warn',
          IMAGE_ALLOWED_HOSTS: '127.0.0.1',
          // The receivers listen on loopback: that one host is let through, every other private address is not.
          WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
          WEBHOOK_RETRY_SCHEDULE: SCHEDULE,
          WEBHOOK_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
          WEBHOOK_LOCK_MS: '2000',
          WEBHOOK_MAX_ENDPOINTS: '5',
          API_RATE_LIMIT: '100000',
        },
      });
      storage = StorageFactory.fromEnv(stack.storageEnv);
    }, 120_000);

    afterAll(async () => {
      receiver?.close();
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    const api = async (route: string, init: RequestInit & { key?: string } = {}) => {
      const { key = KEY_A, headers, ...rest } = init;
      return fetch(`${stack.gatewayUrl}${route}`, {
        ...rest,
        headers: { authorization: `Bearer ${key}`, ...(headers as Record<string, string>) },
      });
    };
    const json = (body: unknown) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const subscribe = async (url: string, events: string[], key = KEY_A) => {
      const res = await api('/v1/webhooks', { ...json({ url, events }), key });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; secret: string };
    };
    const verify = (secret: string, message: Received) =>
      new Webhook(secret).verify(message.body, message.headers) as {
        type: string;
        data: Record<string, unknown>;
      };
    const deliveries = async (id: string) =>
      (
        (await (await api(`/v1/webhooks/${id}/deliveries`)).json()) as {
          items: Array<{
            eventId: string;
            attempt: number;
            status?: number;
            outcome: string;
            error?: string;
          }>;
        }
      ).items;
    const uploadPhoto = async (key = KEY_A) => {
      const res = await api('/v1/files?name=photo.jpg', {
        method: 'POST',
        key,
        headers: { 'content-type': 'image/jpeg' },
        body: photo,
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { key: string }).key;
    };
    const statOrGone = (key: string) =>
      storage.stat(key).then(
        (info) => ({ size: info.size, visibility: info.visibility ?? 'private' }),
        (error: unknown) => (isStorageError(error, 'ENOENT') ? 'gone' : Promise.reject(error)),
      );

    it('refuses private and malformed targets, keeps the cap under concurrent creates, and shows each team only its own', async () => {
      for (const url of [
        'http://10.1.2.3/hook',
        'http://localhost:9/hook',
        'ftp://example.com/',
        'http://u:p@example.com/',
      ]) {
        const res = await api('/v1/webhooks', json({ url, events: ['upload.completed'] }));
        expect(res.status, url).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
          'E_FORBIDDEN_TARGET',
        );
      }
      const bad = await api('/v1/webhooks', json({ url: receiver.url('x'), events: ['nope'] }));
      expect(bad.status).toBe(400);
      const answers = await Promise.all(
        Array.from({ length: 12 }, () =>
          api('/v1/webhooks', {
            ...json({ url: receiver.url('cap'), events: ['file.deleted'] }),
            key: KEY_B,
          }),
        ),
      );
      expect(answers.filter((r) => r.status === 201)).toHaveLength(5);
      expect(answers.filter((r) => r.status === 409)).toHaveLength(7);
      const listed = (await (await api('/v1/webhooks', { key: KEY_B })).json()) as {
        items: Array<{ id: string }>;
      };
      expect(listed.items).toHaveLength(5);
      expect(JSON.stringify(listed)).not.toContain('whsec_');
      // Team A sees none of them, and cannot read or delete them.
      expect(((await (await api('/v1/webhooks')).json()) as { items: unknown[] }).items).toEqual(
        [],
      );
      expect((await api(`/v1/webhooks/${listed.items[0]!.id}`)).status).toBe(404);
      expect((await api(`/v1/webhooks/${listed.items[0]!.id}`, { method: 'DELETE' })).status).toBe(
        404,
      );
      for (const { id } of listed.items)
        expect((await api(`/v1/webhooks/${id}`, { method: 'DELETE', key: KEY_B })).status).toBe(
          204,
        );
    });

    it('sends each event once its fact is durable, signed so standardwebhooks verifies it', async () => {
      const hook = await subscribe(receiver.url('all'), [
        'upload.completed',
        'file.visibility_changed',
        'file.deleted',
        'job.completed',
        'job.failed',
      ]);
      // At arrival, the receiver reads back what the event reports.
      receiver.onArrival('all', async (message) => {
        const { type, data } = JSON.parse(message.body) as {
          type: string;
          data: Record<string, string>;
        };
        if (type.startsWith('job.'))
          return ((await (await api(`/v1/images/${data.id}`)).json()) as { status: string }).status;
        return statOrGone(data.key!);
      });
      const key = await uploadPhoto();
      const [uploaded] = await receiver.wait('all', 1);
      const upload = verify(hook.secret, uploaded!);
      expect(upload.type).toBe('upload.completed');
      expect(upload.data).toMatchObject({ key, size: photo.length, contentType: 'image/jpeg' });
      expect(uploaded!.seen).toEqual({ size: photo.length, visibility: 'private' });

      const patched = await api(`/v1/files/${key}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ visibility: 'public' }),
      });
      expect(patched.status).toBe(200);
      const [, changed] = await receiver.wait('all', 2);
      expect(verify(hook.secret, changed!)).toMatchObject({
        type: 'file.visibility_changed',
        data: { key, visibility: 'public' },
      });
      expect(changed!.seen).toEqual({ size: photo.length, visibility: 'public' });

      const job = await api('/v1/images', json({ tool: 'dall-e', sourceKey: key }));
      expect(job.status).toBe(202);
      const { jobId } = (await job.json()) as { jobId: string };
      const [, , completed] = await receiver.wait('all', 3, 60_000);
      const done = verify(hook.secret, completed!);
      expect(done).toMatchObject({
        type: 'job.completed',
        data: { id: jobId, status: 'completed' },
      });
      expect((done.data.variants as unknown[]).length).toBeGreaterThan(0);
      expect(completed!.seen).toBe('completed');

      const failing = await api(
        '/v1/images',
        json({ tool: 'dall-e', sourceUrl: `${receiver.url('missing', [404])}` }),
      );
      expect(failing.status).toBe(202);
      const failedId = ((await failing.json()) as { jobId: string }).jobId;
      const [, , , failed] = await receiver.wait('all', 4, 60_000);
      expect(verify(hook.secret, failed!)).toMatchObject({
        type: 'job.failed',
        data: { id: failedId, status: 'failed', error: { code: 'E_SOURCE_REFUSED' } },
      });
      expect(failed!.seen).toBe('failed');

      expect((await api(`/v1/files/${key}`, { method: 'DELETE' })).status).toBe(204);
      const [, , , , deleted] = await receiver.wait('all', 5);
      expect(verify(hook.secret, deleted!)).toMatchObject({ type: 'file.deleted', data: { key } });
      expect(deleted!.seen).toBe('gone');
      // Five facts, five messages, five ids.
      expect(new Set(receiver.got('all').map((m) => m.id)).size).toBe(5);
      expect((await api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(204);
    }, 120_000);

    // Delivery alone (retries, giving up, secret rotation, a worker's crash): the store plays no part, so these run
    // once, with local storage.
    if (storageType === 'local') {
      it('retries a receiver that answers 500, 500, 200 with one webhook-id, and redelivers on request', async () => {
        const hook = await subscribe(receiver.url('flaky', [500, 500, 200]), ['upload.completed']);
        await uploadPhoto();
        const got = await receiver.wait('flaky', 3);
        expect(got.map((m) => m.id)).toEqual([got[0]!.id, got[0]!.id, got[0]!.id]);
        for (const message of got)
          expect(verify(hook.secret, message).type).toBe('upload.completed');
        await expect.poll(() => deliveries(hook.id)).toHaveLength(3);
        expect((await deliveries(hook.id)).map((d) => [d.attempt, d.status, d.outcome])).toEqual([
          [3, 200, 'delivered'],
          [2, 500, 'retrying'],
          [1, 500, 'retrying'],
        ]);
        const again = await api(`/v1/webhooks/${hook.id}/deliveries/${got[0]!.id}/redeliver`, {
          method: 'POST',
        });
        expect(again.status).toBe(202);
        const [, , , redelivered] = await receiver.wait('flaky', 4);
        expect(redelivered!.id).toBe(got[0]!.id);
        expect(redelivered!.body).toBe(got[0]!.body);
        verify(hook.secret, redelivered!);
        // Another team cannot redeliver it.
        const foreign = await api(`/v1/webhooks/${hook.id}/deliveries/${got[0]!.id}/redeliver`, {
          method: 'POST',
          key: KEY_B,
        });
        expect(foreign.status).toBe(404);
        await api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
      }, 60_000);

      it('gives up on a receiver that never answers after the configured schedule: dead', async () => {
        const hook = await subscribe(receiver.url('silent', ['hang']), ['upload.completed']);
        await uploadPhoto();
        const got = await receiver.wait('silent', 4, 30_000);
        expect(new Set(got.map((m) => m.id)).size).toBe(1);
        await expect
          .poll(async () => (await deliveries(hook.id))[0]?.outcome, { timeout: 10_000 })
          .toBe('dead');
        const log = await deliveries(hook.id);
        expect(log.map((d) => d.attempt)).toEqual([4, 3, 2, 1]);
        expect(
          log.every((d) => d.status === undefined && /timed out|timeout/i.test(d.error ?? '')),
        ).toBe(true);
        // No fifth attempt comes (the schedule's longest wait is 900 ms).
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(receiver.got('silent')).toHaveLength(4);
        await api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
      }, 60_000);

      it('signs with both secrets while a rotated one overlaps', async () => {
        const hook = await subscribe(receiver.url('rotating'), ['upload.completed']);
        const rotated = await api(`/v1/webhooks/${hook.id}/rotate-secret`, { method: 'POST' });
        expect(rotated.status).toBe(201);
        const { secret } = (await rotated.json()) as { secret: string };
        expect(secret).toMatch(/^whsec_/);
        await uploadPhoto();
        const [message] = await receiver.wait('rotating', 1);
        expect(message!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
        verify(secret, message!);
        verify(hook.secret, message!);
        expect(() => verify(`whsec_${Buffer.alloc(24, 7).toString('base64')}`, message!)).toThrow();
        await api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
      }, 30_000);

      it('a worker killed mid-delivery does not lose the event: another sends it with the same webhook-id', async () => {
        const hook = await subscribe(receiver.url('crash', ['hang', 200]), ['upload.completed']);
        let killed = false;
        receiver.onArrival('crash', async () => {
          if (killed) return;
          killed = true;
          for (const worker of stack.workers) worker.kill('SIGKILL');
        });
        await uploadPhoto();
        await receiver.wait('crash', 1);
        await stack.startWorker();
        const [first, second] = await receiver.wait('crash', 2, 30_000);
        expect(second!.id).toBe(first!.id);
        verify(hook.secret, first!);
        verify(hook.secret, second!);
        await expect
          .poll(async () => (await deliveries(hook.id))[0]?.outcome, { timeout: 10_000 })
          .toBe('delivered');
        await api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
      }, 60_000);
    }

    it('reports usage per team from the ledger, and the same figures as metrics labelled by configured teams only', async () => {
      await uploadPhoto();
      let bytes = 0;
      let objects = 0;
      for await (const item of storage.listAll('uploads/team-a/')) {
        bytes += item.size;
        objects += 1;
      }
      const usage = (await (await api('/v1/usage?hours=1')).json()) as {
        team: string;
        storage: { bytes: number; objects: number };
        jobs: { pending: number; completed: number; failed: number; windowHours: number };
      };
      expect(usage.team).toBe('team-a');
      expect(usage.storage).toMatchObject({ bytes, objects });
      expect(objects).toBeGreaterThan(0);
      expect(usage.jobs).toEqual({ pending: 0, completed: 1, failed: 1, windowHours: 1 });
      expect((await api('/v1/usage?hours=0')).status).toBe(400);
      // A request with an unknown key adds no team to the metrics.
      expect((await api('/v1/usage', { key: 'x'.repeat(40) })).status).toBe(401);
      const metrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
      expect(metrics).toContain(`api_team_stored_bytes{team="team-a"} ${bytes}`);
      expect(metrics).toContain(
        'api_team_jobs_finished_last_hour{team="team-a",outcome="failed"} 1',
      );
      const teams = new Set([...metrics.matchAll(/team="([^"]+)"/g)].map((m) => m[1]));
      expect([...teams].sort()).toEqual(['team-a', 'team-b']);
    });
  });
}
