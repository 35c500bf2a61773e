import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { stagingKey, tenantKeys } from '@monorepo/tenant-limits';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './test-abuse-helpers.js';
import {
  KB,
  MAX_OPEN,
  MB,
  QUOTA,
  apiKey,
  outcome,
  startTenancyWorld,
  tenant,
} from './test-tenancy-helpers.js';
import type { IntentAnswer, TenancyWorld, TenantFigures, Via } from './test-tenancy-helpers.js';

const SEQUENCES = [
  'never-counted',
  'reserve',
  'not-a-file',
  'case',
  'token',
  'spent-form',
  'race',
  'late-send',
  'in-flight',
  'open-cap',
  'deletes',
  'empty',
] as const;
const VIAS: readonly Via[] = ['gateway', 'direct'];
const USERS = SEQUENCES.flatMap((s) => VIAS.map((via) => `${s}-${via}`));
const DAY = 24 * 3600_000;

/**
 * The hostile-tenant suite of issue #22, on one backend: every attack, through the gateway and straight to the
 * API, each by a tenant of its own; after each one, the invariant — what the tenant stores (its files and its
 * staged bytes) never exceeds its quota plus what it holds reserved, and the ledger equals a fresh listing.
 */
export function describeTenancyAttacks(storageType: 'local' | 's3'): void {
  describe(`hostile tenants on ${storageType} (quota ${QUOTA} bytes, real nginx${storageType === 's3' ? ', radosgw' : ''})`, () => {
    let world: TenancyWorld;
    const figures: TenantFigures[] = [];
    const png = (width: number) =>
      sharp({ create: { width, height: 40, channels: 3, background: '#2a6' } })
        .png()
        .toBuffer();

    beforeAll(async () => {
      world = await startTenancyWorld(storageType, USERS);
    }, 120_000);
    afterAll(async () => {
      if (!world) return;
      // The world stops whatever the checks find: a failed one must not leave its processes running.
      try {
        await world.janitor(2 * DAY); // every intent over, every form expired: what is left is settled
        for (const user of USERS) {
          const f = await world.figures(user);
          expect(f.counted, `${user}: usage equals a fresh listing`).toBe(f.stored);
          expect(f.countedObjects).toBe(f.storedObjects);
          expect(f.staged + f.reserved, `${user}: nothing staged or held`).toBe(0);
        }
        console.log(`tenancy figures (${storageType}): ${JSON.stringify(figures)}`);
      } finally {
        await world.stop();
      }
    });

    /** The invariant, now; `settled`: no upload in flight, so the ledger must equal the listing exactly. */
    async function holds(user: string, settled = true): Promise<TenantFigures> {
      const f = await world.figures(user);
      expect(
        f.stored + f.staged,
        `${user}: stored + staged ≤ quota + reserved`,
      ).toBeLessThanOrEqual(QUOTA + f.reserved);
      if (settled) {
        expect(f.counted, `${user}: usage equals a fresh listing`).toBe(f.stored);
        expect(f.countedObjects).toBe(f.storedObjects);
      }
      return f;
    }
    async function announce(t: ReturnType<typeof tenant>, size: number, type?: string) {
      const res = await t.announce(size, type);
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as IntentAnswer;
    }
    async function sent(t: ReturnType<typeof tenant>, intent: IntentAnswer, body: Buffer) {
      const res = await t.send(intent, body);
      expect(res.ok, `send: ${res.status} ${await res.clone().text()}`).toBe(true);
      await res.arrayBuffer();
    }

    describe.each(VIAS)('through the %s', (via) => {
      const as = (sequence: (typeof SEQUENCES)[number]) => tenant(world, `${sequence}-${via}`, via);

      it('never lowers usage by deleting what was never counted', async () => {
        const t = as('never-counted');
        expect((await t.upload(randomBytes(1.2 * MB))).status).toBe(201);
        const intent = await announce(t, 0.7 * MB);
        await sent(t, intent, randomBytes(0.7 * MB));
        // The uncompleted upload is not a file: there is nothing to delete, and nothing comes back.
        expect((await t.remove(intent.key)).status).toBe(204);
        expect(await outcome(await t.remove(stagingKey(intent.id)))).toMatchObject({ status: 404 });
        expect(await outcome(await t.upload(randomBytes(1.2 * MB)))).toEqual({
          status: 413,
          code: 'E_QUOTA_EXCEEDED',
        });
        const first = await holds(t.user);
        expect(first).toMatchObject({ counted: 1.2 * MB, reserved: 0.7 * MB, staged: 0.7 * MB });
        // An object under the folder that was never counted (a crashed process's): deleting it gives nothing back.
        await world.storage.upload(`uploads/${t.user}/leftover/x.bin`, randomBytes(1000), 'a/b');
        expect((await t.remove(`uploads/${t.user}/leftover/x.bin`)).status).toBe(204);
        expect((await world.ledger.usage(t.user)).bytes).toBe(1.2 * MB);
        expect((await t.abort(intent.id)).status).toBe(204);
        figures.push(await holds(t.user));
      });

      it('reserves what open intents announce, atomically, and sends their bytes in an upload slot', async () => {
        const t = as('reserve');
        const answers = await Promise.all(
          Array.from({ length: 6 }, () => t.announce(900 * KB).then(outcome)),
        );
        expect(answers.filter((a) => a.status === 201)).toHaveLength(2); // 2 × 900 KB fit in 2 MB, 3 do not
        expect(answers.filter((a) => a.code === 'E_QUOTA_EXCEEDED')).toHaveLength(4);
        expect((await world.ledger.usage(t.user)).reservedBytes).toBe(2 * 900 * KB);
        const a = await announce(t, 50 * KB);
        await announce(t, 60 * KB); // left open: held until it expires
        expect(await outcome(await t.upload(randomBytes(100 * KB)))).toMatchObject({ status: 413 });
        if (storageType === 'local') {
          // Two uploads in flight hold both slots: the intent's PUT waits its turn, its token unspent.
          const slow = [0, 1].map(() => {
            const req = http.request(`${world.stack.apiUrl}/v1/files?name=slow.bin`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${apiKey(t.user)}`,
                'content-type': 'application/octet-stream',
                'content-length': String(10 * KB),
              },
            });
            req.on('error', () => {});
            req.write(randomBytes(KB));
            return req;
          });
          await until('both slots taken', async () =>
            (await world.ledger.usage(t.user)).uploads === 2 ? true : undefined,
          );
          expect(await outcome(await t.send(a, randomBytes(50 * KB)))).toEqual({
            status: 429,
            code: 'E_TOO_MANY_UPLOADS',
          });
          for (const req of slow) req.destroy();
          await until('the slots to free up', async () =>
            (await world.ledger.usage(t.user)).uploads === 0 ? true : undefined,
          );
        }
        await sent(t, a, randomBytes(50 * KB));
        await holds(t.user);
        expect((await t.complete(a.id)).status).toBe(201);
        figures.push(await holds(t.user));
      });

      it('makes an upload a file only once completed: no read, no signed URL, no job source before', async () => {
        const t = as('not-a-file');
        const bytes = await png(64);
        const intent = await announce(t, bytes.length, 'image/png');
        await sent(t, intent, bytes);
        expect((await t.read(intent.key)).status).toBe(404);
        expect((await t.call(`/v1/files/${intent.key}`, { method: 'HEAD' })).status).toBe(404);
        expect((await t.sign(intent.key)).status).toBe(404);
        expect(await outcome(await t.job(intent.key))).toMatchObject({ status: 404 });
        expect(await outcome(await t.job(stagingKey(intent.id)))).toMatchObject({ status: 404 });
        expect((await t.read(stagingKey(intent.id))).status).toBe(404);
        expect(
          (await fetch(`${world.stack.cdnUrl}/static/${stagingKey(intent.id)}`)).status,
        ).not.toBe(200);
        const listed = (await (await t.call('/v1/files')).json()) as { items: { key: string }[] };
        expect(listed.items.map((i) => i.key)).not.toContain(intent.key);
        expect((await t.complete(intent.id)).status).toBe(201);
        expect(Buffer.from(await (await t.read(intent.key)).arrayBuffer()).equals(bytes)).toBe(
          true,
        );
        expect((await t.sign(intent.key)).status).toBe(200);
        expect((await t.job(intent.key)).status).toBe(202);
        expect(await world.storage.exists(stagingKey(intent.id))).toBe(false);
        figures.push(await holds(t.user));
      });

      it('checks the magic bytes whatever the letter case of the announced type', async () => {
        const t = as('case');
        const text = Buffer.from('plain text pretending to be a picture');
        const fake = await announce(t, text.length, 'Image/PNG');
        expect(
          fake.upload.method === 'POST'
            ? fake.upload.fields['Content-Type']
            : fake.upload.headers['content-type'],
        ).toBe('image/png');
        await sent(t, fake, text);
        expect(await outcome(await t.complete(fake.id))).toEqual({
          status: 400,
          code: 'E_VALIDATION',
        });
        expect((await t.read(fake.key)).status).toBe(404);
        expect(await world.storage.exists(fake.key)).toBe(false);
        // A real PNG announced in capitals completes, stored as image/png; a PUT may spell the type its way.
        const bytes = await png(32);
        const real = await announce(t, bytes.length, 'IMAGE/Png');
        const res = await t.send(
          real,
          bytes,
          real.upload.method === 'PUT' ? { 'content-type': 'Image/PNG' } : {},
        );
        expect(res.ok).toBe(true);
        const done = await t.complete(real.id);
        expect(done.status).toBe(201);
        expect(((await done.json()) as { contentType: string }).contentType).toBe('image/png');
        figures.push(await holds(t.user));
      });

      it('lets no wrong credential spoil the real one', async () => {
        const t = as('token');
        const bytes = randomBytes(3000);
        const intent = await announce(t, bytes.length);
        if (intent.upload.method === 'PUT') {
          const wrong = {
            ...intent,
            upload: {
              ...intent.upload,
              url: intent.upload.url.replace(/token=[^&]+/, 'token=guessed'),
            },
          };
          expect(await outcome(await t.send(wrong, bytes))).toEqual({
            status: 401,
            code: 'E_UNAUTHORIZED',
          });
          expect(
            await outcome(
              await t.send(
                {
                  ...intent,
                  upload: { ...intent.upload, url: intent.upload.url.replace(/token=[^&]+/, '') },
                },
                bytes,
              ),
            ),
          ).toMatchObject({ status: 401 });
        } else {
          // The bucket checks the form: a tampered policy is refused and spoils nothing.
          const tampered = {
            ...intent,
            upload: {
              ...intent.upload,
              fields: { ...intent.upload.fields, Policy: Buffer.from('{}').toString('base64') },
            },
          };
          expect((await t.send(tampered, bytes)).ok).toBe(false);
        }
        await sent(t, intent, bytes);
        expect((await t.complete(intent.id)).status).toBe(201);
        figures.push(await holds(t.user));
      });

      it('keeps a spent upload form away from the final key; the janitor removes what it leaves in staging', async () => {
        const t = as('spent-form');
        const bytes = await png(48);
        const intent = await announce(t, bytes.length, 'image/png');
        await sent(t, intent, bytes);
        expect((await t.complete(intent.id)).status).toBe(201);
        const other = Buffer.concat([
          Buffer.from('not a png, same size'),
          randomBytes(bytes.length - 20),
        ]);
        const again = await t.send(intent, other);
        await again.arrayBuffer();
        if (storageType === 'local') expect(again.status).toBe(401);
        else expect(again.ok).toBe(true); // the bucket still takes the form until it expires…
        // …but only into staging: the file is what was checked.
        expect(Buffer.from(await (await t.read(intent.key)).arrayBuffer()).equals(bytes)).toBe(
          true,
        );
        await holds(t.user); // staged bytes of a spent form stay within what is held for it
        // A refused completion, then the form again: the final key never appears.
        const refused = await announce(t, other.length, 'image/png');
        await sent(t, refused, other);
        expect((await t.complete(refused.id)).status).toBe(400);
        await (await t.send(refused, other)).arrayBuffer();
        expect(await world.storage.exists(refused.key)).toBe(false);
        await holds(t.user);
        await world.janitor(2 * DAY);
        expect(await world.storage.exists(stagingKey(intent.id))).toBe(false);
        expect(await world.storage.exists(stagingKey(refused.id))).toBe(false);
        figures.push(await holds(t.user));
      });

      it('lets exactly one of /complete and the janitor win, with the janitor’s clock moved', async () => {
        const t = as('race');
        const outcomes: number[] = [];
        // Round 0: a janitor a day ahead (to it, the intent expired) runs just before /complete, so the janitor's win
        // is always exercised; rounds 1-5: it runs as /complete is sent (either may win); round 6: it runs once the
        // intent is completing (to it, past its deadline); round 7: a janitor on time, which must leave a live intent
        // alone.
        for (let round = 0; round < 8; round++) {
          const bytes = randomBytes(10 * KB);
          const intent = await announce(t, bytes.length);
          await sent(t, intent, bytes);
          const ahead = round === 7 ? 0 : DAY;
          const janitor = async () => {
            if (round === 6)
              await until('completion to begin', async () =>
                (await world.intents.get(t.user, intent.id))?.state !== 'open' ? true : undefined,
              );
            return world.janitor(ahead);
          };
          const [res] =
            round === 0
              ? [await janitor().then(() => t.complete(intent.id))]
              : await Promise.all([t.complete(intent.id), janitor()]);
          const { status } = res;
          const answer = await res.text();
          outcomes.push(status);
          if (round === 0) expect(status).toBe(404);
          else if (round === 7) expect(status, answer).toBe(201);
          else expect([201, 404]).toContain(status);
          // Exactly one won: a file, counted, or nothing at all.
          expect(await world.storage.exists(intent.key)).toBe(status === 201);
          expect(await world.ledger.sizeOf(t.user, intent.key)).toBe(
            status === 201 ? bytes.length : undefined,
          );
          await world.janitor(DAY);
          expect(await world.storage.exists(stagingKey(intent.id))).toBe(false);
          await holds(t.user);
        }
        const completed = outcomes.filter((s) => s === 201).length;
        figures.push({ ...(await holds(t.user)), user: `${t.user} (${completed}/8 completed)` });
      });

      it('never keeps the bytes of a send that outlives its intent', async () => {
        const t = as('late-send');
        const bytes = randomBytes(200 * KB);
        const intent = await announce(t, bytes.length);
        const { upload } = intent;
        if (upload.method === 'PUT') {
          const url = new URL(
            upload.url.replace(
              world.stack.gatewayUrl,
              via === 'gateway' ? world.stack.gatewayUrl : world.stack.apiUrl,
            ),
          );
          const answer = new Promise<number>((resolve, reject) => {
            const req = http.request(
              url,
              {
                method: 'PUT',
                headers: { ...upload.headers, 'content-length': String(bytes.length) },
              },
              (res) => {
                res.resume();
                resolve(res.statusCode!);
              },
            );
            req.on('error', reject);
            req.write(bytes.subarray(0, 100 * KB));
            // The intent expires (the janitor's clock says so) while the rest trickles in.
            void until('the send to start', async () =>
              (await world.intents.get(t.user, intent.id))?.state === 'sending' ? true : undefined,
            )
              .then(() => world.janitor(DAY))
              .then(() => req.end(bytes.subarray(100 * KB)), reject);
          });
          expect(await answer).toBe(404);
        } else {
          await sent(t, intent, bytes);
          await world.janitor(DAY); // expired unsent… and its late bytes removed
        }
        expect(await world.storage.exists(stagingKey(intent.id))).toBe(false);
        expect(await outcome(await t.complete(intent.id))).toMatchObject({ status: 404 });
        figures.push(await holds(t.user));
      });

      it('reconciles a tenant that keeps an upload in flight', async () => {
        const t = as('in-flight');
        const res = await t.upload(randomBytes(300 * KB));
        const { key } = (await res.json()) as { key: string };
        // Drift, as a crash could leave it: the count lost, the total wrong.
        const keys = tenantKeys(world.ledger.prefix, t.user);
        await world.redis.hdel(keys.sizes, key);
        await world.redis.hset(keys.usage, 'bytes', 5, 'objects', 0);
        const slow = http.request(`${world.stack.apiUrl}/v1/files?name=slow.bin`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${apiKey(t.user)}`,
            'content-type': 'application/octet-stream',
            'content-length': String(20 * KB),
          },
        });
        const done = new Promise<number>((resolve) =>
          slow.on('response', (r) => {
            r.resume();
            resolve(r.statusCode!);
          }),
        );
        slow.on('error', () => {});
        slow.write(randomBytes(10 * KB));
        await until('the upload to be in flight', async () =>
          (await world.ledger.usage(t.user)).uploads === 1 ? true : undefined,
        );
        const report = await world.janitor();
        expect(report.usageCorrected).toBeGreaterThanOrEqual(1);
        expect(await world.ledger.sizeOf(t.user, key)).toBe(300 * KB);
        await holds(t.user, false);
        slow.end(randomBytes(10 * KB));
        expect(await done).toBe(201);
        figures.push(await holds(t.user));
      });

      it('caps open intents per key atomically, however many arrive at once', async () => {
        const t = as('open-cap');
        const answers = await Promise.all(
          Array.from({ length: 3 * MAX_OPEN }, () => t.announce(10).then(outcome)),
        );
        expect(answers.filter((a) => a.status === 201)).toHaveLength(MAX_OPEN);
        expect(answers.filter((a) => a.code === 'E_TOO_MANY_UPLOADS')).toHaveLength(2 * MAX_OPEN);
        expect((await world.ledger.usage(t.user)).openIntents).toBe(MAX_OPEN);
        figures.push(await holds(t.user));
      });

      it('subtracts a deleted file once, however many deletes race', async () => {
        const t = as('deletes');
        const kept = (await (await t.upload(randomBytes(100 * KB))).json()) as { key: string };
        const file = (await (await t.upload(randomBytes(500 * KB))).json()) as { key: string };
        const statuses = await Promise.all(
          Array.from({ length: 20 }, () => t.remove(file.key).then((r) => r.status)),
        );
        expect(new Set(statuses)).toEqual(new Set([204]));
        expect(await world.ledger.usage(t.user)).toMatchObject({ bytes: 100 * KB, objects: 1 });
        expect(await world.ledger.sizeOf(t.user, kept.key)).toBe(100 * KB);
        figures.push(await holds(t.user));
      });

      it('takes empty files like any other, and gives back their upload slots', async () => {
        const t = as('empty');
        // More than the key's concurrent-upload slots, one after another: a slot an empty upload kept would show.
        for (let i = 0; i < 6; i++) {
          const res = await t.upload(Buffer.alloc(0), `empty-${i}.bin`);
          expect(res.status, await res.clone().text()).toBe(201);
          const { key, size } = (await res.json()) as { key: string; size: number };
          expect(size).toBe(0);
          expect(await world.ledger.usage(t.user)).toMatchObject({
            bytes: 0,
            objects: 1,
            uploads: 0,
          });
          expect(Buffer.from(await (await t.read(key)).arrayBuffer())).toHaveLength(0);
          expect((await t.remove(key)).status).toBe(204);
          expect(await world.ledger.usage(t.user)).toMatchObject({ bytes: 0, objects: 0 });
        }
        figures.push(await holds(t.user));
      });
    });

    it('refuses every spelling of the internal endpoints at the gateway, and all but the exact one at the API', async () => {
      const spellings = [
        '/metrics',
        '/metrics/',
        '/Metrics',
        '/METRICS',
        '/readyz',
        '/readyz/',
        '/openapi.json',
        '/openapi.json/',
        '/OpenAPI.json',
        '//metrics',
        '/./metrics',
        '/v1/../metrics',
        '/v1/%2e%2e/metrics',
        '/%6detrics',
        '/%6Detrics/',
        '/metrics%2F',
        '/internal/x',
      ];
      const raw = (base: string, path: string) =>
        new Promise<number>((resolve, reject) => {
          // Sent as written (fetch would normalise the path first).
          const req = http.request(
            `${base}${path}`,
            { path: `${new URL(base).pathname.replace(/\/$/, '')}${path}` },
            (res) => {
              res.resume();
              resolve(res.statusCode!);
            },
          );
          req.on('error', reject);
          req.end();
        });
      const gateway: Record<string, number> = {};
      const direct: Record<string, number> = {};
      for (const path of spellings) {
        gateway[path] = await raw(world.stack.gatewayUrl, path);
        direct[path] = await raw(world.stack.apiUrl, path);
      }
      expect(Object.entries(gateway).filter(([, status]) => status !== 404)).toEqual([]);
      const exact = new Set(['/metrics', '/readyz', '/openapi.json']);
      expect(
        Object.entries(direct).filter(([path, status]) => (status === 200) !== exact.has(path)),
      ).toEqual([]);
      expect(await raw(world.stack.gatewayUrl, '/healthz')).toBe(200);
    });
  });
}
