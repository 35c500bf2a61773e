import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from './api-error.js';
import { StorageApiClient } from './storage-api-client.js';

/** A scripted HTTP server: each request is answered by the next handler queued for its route. */
const script = new Map<
  string,
  Array<(req: http.IncomingMessage, res: http.ServerResponse) => void>
>();
const seen: Array<{ method: string; url: string; auth: string | undefined; body: number }> = [];
let server: http.Server;
let baseUrl: string;

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    let body = 0;
    for await (const chunk of req) body += (chunk as Buffer).length;
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
    const route = `${req.method} ${req.url!.split('?')[0]}`;
    const next = script.get(route)?.shift();
    if (next) next(req, res);
    else json(500, { error: { code: 'E_UNSCRIPTED', message: route } })(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = (options: { retries?: number; timeoutMs?: number } = {}) =>
  new StorageApiClient({ baseUrl, apiKey: 'k'.repeat(40), ...options });

describe('StorageApiClient', () => {
  it('streams an upload, authenticates, and returns the stored file', async () => {
    seen.length = 0;
    script.set('POST /api/v1/files', [json(201, { key: 'uploads/u/x/a.bin', size: 300000 })]);
    const body = Readable.from([Buffer.alloc(100_000, 1), Buffer.alloc(200_000, 2)]);
    const stored = await client().uploadFile(body, { name: 'a b.bin' });
    expect(stored.key).toBe('uploads/u/x/a.bin');
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/api/v1/files?name=a+b.bin',
        auth: `Bearer ${'k'.repeat(40)}`,
        body: 300_000,
      },
    ]);
  });

  it('throws the API code, and retries a 429 after Retry-After', async () => {
    const answeredAt: number[] = [];
    const timed =
      (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) =>
      (req: http.IncomingMessage, res: http.ServerResponse) => {
        answeredAt.push(performance.now());
        handler(req, res);
      };
    script.set('POST /api/v1/images', [
      timed(
        json(
          429,
          { error: { code: 'E_RATE_LIMITED', message: 'slow down' } },
          { 'retry-after': '1' },
        ),
      ),
      timed(json(202, { jobId: 'img_1', status: 'queued' })),
    ]);
    expect(await client().submitImageJob({ tool: 'sora', sourceKey: 'uploads/u/a.jpg' })).toEqual({
      jobId: 'img_1',
      status: 'queued',
    });
    // The retry waited the second it was told to (its own back-off would be 100 ms).
    expect(answeredAt).toHaveLength(2);
    expect(answeredAt[1]! - answeredAt[0]!).toBeGreaterThanOrEqual(990); // timers may round down by a ms
    expect(answeredAt[1]! - answeredAt[0]!).toBeLessThan(2_000);
    script.set('POST /api/v1/images', [
      json(503, { error: { code: 'E_UNAVAILABLE', message: 'queue down' } }),
      json(202, { jobId: 'img_2', status: 'queued' }),
    ]);
    // A job submission that may have been processed is never repeated.
    const error = await client()
      .submitImageJob({ tool: 'sora', sourceKey: 'uploads/u/a.jpg' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: 'E_UNAVAILABLE', message: 'queue down' });
    script.delete('POST /api/v1/images');
  });

  it('encodes keys segment by segment, reads 404 as absent, and retries reads on 503', async () => {
    seen.length = 0;
    script.set('HEAD /api/v1/files/uploads/u/a%20b%23.txt', [
      json(503, {}),
      json(404, { error: { code: 'E_NOT_FOUND', message: 'no' } }),
    ]);
    expect(await client().fileExists('uploads/u/a b#.txt')).toBe(false);
    expect(seen.map((r) => r.method)).toEqual(['HEAD', 'HEAD']);
  });

  it('waits for a job through transient failures, and times out requests without an answer', async () => {
    script.set('GET /api/v1/images/img_3', [
      json(200, { jobId: 'img_3', status: 'active' }),
      json(502, 'bad gateway'),
      json(200, { jobId: 'img_3', status: 'completed', result: { variants: [] } }),
    ]);
    const done = await client({ retries: 0 }).waitForImageJob('img_3', { pollMs: 10 });
    expect(done.status).toBe('completed');
    script.set('GET /api/v1/images/img_4', [() => {}]); // never answers
    await expect(client({ retries: 0, timeoutMs: 200 }).getImageJob('img_4')).rejects.toMatchObject(
      {
        status: 0,
        code: 'E_NETWORK',
      },
    );
  });
});
