import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { privateHosts, privateHostsAvailable } from '@monorepo/dev-servers';
import type { PrivateHosts } from '@monorepo/dev-servers';
import { needs } from '@monorepo/test-utils';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTail } from './managed-process.js';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY_A = 'fuzz-key-user-a-0123456789abcdef';
const KEY_B = 'fuzz-key-user-b-0123456789abcdef';

let stack: Stack;
let dataDir: string;
let ownKey: string;
let otherKey: string;
let redirector: http.Server;
let redirectUrl: string;
let hosts: PrivateHosts | undefined;

/** Names the workers resolve to private addresses: an RFC 1918 host, the cloud metadata address, loopback. */
const PRIVATE_NAMES = {
  'intranet.example': '10.0.0.7',
  'metadata.example': '169.254.169.254',
  'loopback.example': '127.0.0.2',
};
const hostsNeeded = needs(
  "a private mount namespace for the workers' /etc/hosts (root, unshare)",
  privateHostsAvailable(),
  'run the tests as root, as CI does',
);
/** What the API may answer a well-formed but arbitrary request with. */
const FUZZ_REFUSALS = [400, 401, 403, 404, 405, 409, 411, 413, 415];

const RAW_TIMEOUT_MS = 15_000;
const MiB = 1024 * 1024;

/** A raw HTTP request (fetch normalises paths and refuses some headers; attackers do not). */
function raw(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(stack.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: target, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    const what = `${method} ${target} (${headers['content-type'] ?? 'no type'}, ${body?.length ?? 0} bytes)`;
    req.on('error', (error) => reject(new Error(`${what}: ${error.message}`, { cause: error })));
    let connected = false;
    req.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    // A request left unanswered fails by itself, named, with how far it got and what nginx (its access log
    // too: the requests before it) and the API logged.
    req.setTimeout(RAW_TIMEOUT_MS, () => {
      const access = path.join(dataDir, 'logs', 'nginx-access.log');
      void Promise.all([
        ...[stack.nginx, ...stack.apis].map((process) => logTail(process)),
        readFile(access, 'utf8').then(
          (text) => `\n--- ${access}\n${text.trimEnd().split('\n').slice(-8).join('\n')}`,
          () => '',
        ),
      ]).then((tails) =>
        req.destroy(
          new Error(
            `no answer in ${RAW_TIMEOUT_MS} ms (${connected ? 'connected, request sent' : 'never connected'})${tails.join('')}`,
          ),
        ),
      );
    });
    req.end(body);
  });
}

const auth = (key = KEY_A) => ({ authorization: `Bearer ${key}` });

/** Every refusal is a 4xx with the JSON error shape, and nothing hints at internals. */
function expectCleanError(
  res: { status: number; body: string },
  statuses: number[],
  context: string,
): void {
  expect(statuses, `${context}: got ${res.status} ${res.body.slice(0, 200)}`).toContain(res.status);
  const parsed = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof parsed.error?.code, context).toBe('string');
  expect(typeof parsed.error?.message, context).toBe('string');
  expect(res.body, context).not.toMatch(
    /node_modules|\bat [\w.<>]+ \(|Error: |\/work\/|user-b-secret/,
  );
}

/** Uploads `body` as `name` with API key `key` through the gateway; its key. */
async function upload(key: string, name: string, body: string): Promise<string> {
  const res = await fetch(`${stack.gatewayUrl}/v1/files?name=${name}`, {
    method: 'POST',
    body,
    headers: { ...auth(key), 'content-type': 'text/plain' },
  });
  return ((await res.json()) as { key: string }).key;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'fuzz-'));
  // The workers see these names resolve to private addresses (their own /etc/hosts), the machine does not.
  hosts = hostsNeeded.skip ? undefined : await privateHosts(PRIVATE_NAMES);
  stack = await startStack({
    dataDir,
    apiKeys: { [KEY_A]: 'user-a', [KEY_B]: 'user-b' },
    maxUploadBytes: 1024 * 1024,
    // Request logs (info): should a request go unanswered, the API's tail shows what came before it.
    env: { IMAGE_ALLOWED_HOSTS: 'localhost', LOG_LEVEL: 'info' },
    workerPrefix: hosts?.prefix,
  });
  ownKey = await upload(KEY_A, 'mine.txt', 'user-a data');
  otherKey = await upload(KEY_B, 'theirs.txt', 'user-b-secret data');
  // An allowed host that redirects to a private address.
  redirector = http.createServer((_req, res) =>
    res.writeHead(302, { location: 'http://127.0.0.1:9/x.jpg' }).end(),
  );
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectUrl = `http://localhost:${(redirector.address() as AddressInfo).port}/start.jpg`;
}, 120_000);

afterAll(async () => {
  redirector?.close();
  await stack?.stop();
  await hosts?.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

describe('hostile input against the real stack (nginx → API)', () => {
  it('refuses path tricks in <key> with 400/404 and never serves another user’s data', async () => {
    const [, , otherUuid, otherName] = otherKey.split('/');
    const attempts = [
      '/api/v1/files/..%2f..%2f..%2fetc%2fpasswd',
      '/api/v1/files/uploads%2fuser-a%2f..%2f..%2fuploads%2fuser-b',
      `/api/v1/files/uploads/user-a/..%2fuser-b/${otherUuid}/${otherName}`,
      `/api/v1/files/uploads/user-a/%2e%2e/user-b/${otherUuid}/${otherName}`,
      `/api/v1/files/uploads/user-a/%252e%252e%252fuser-b/${otherUuid}/${otherName}`,
      `/api/v1/files/uploads/user-a/..\\user-b\\${otherUuid}\\${otherName}`,
      '/api/v1/files/uploads/user-a/a%00b',
      '/api/v1/files/uploads/user-a/%zz',
      '/api/v1/files//etc/passwd',
      `/api/v1/files/${otherKey}`,
      `/api/v1/files/processed/dall-e/user-b/job/x.jpg`,
      '/api/v1/files/uploads/user-a/' + 'x'.repeat(2000),
    ];
    for (const target of attempts) {
      for (const method of ['GET', 'HEAD', 'DELETE']) {
        const res = await raw(method, target, auth());
        // A double-encoded "../" is just a literal key inside the caller's own space: deleting it is a no-op 204.
        if (method === 'DELETE' && res.status === 204 && target.includes('%25')) continue;
        expect(res.status, `${method} ${target}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${method} ${target}`).toBeLessThan(500);
        if (method !== 'HEAD') expectCleanError(res, [400, 404, 414], `${method} ${target}`);
      }
    }
    // Both files are still there, each reachable by its owner only.
    const mine = await raw(
      'GET',
      `/api/v1/files/${ownKey.split('/').map(encodeURIComponent).join('/')}`,
      auth(),
    );
    expect(mine.body).toBe('user-a data');
    const theirs = await raw(
      'GET',
      `/api/v1/files/${otherKey.split('/').map(encodeURIComponent).join('/')}`,
      auth(KEY_B),
    );
    expect(theirs.body).toBe('user-b-secret data');
  });

  it('answers the next request on a kept-alive connection after refusing a JSON body too large to read', async () => {
    // nginx keeps its connections to the API alive and sends any client's next request on them: one left
    // paused with a refused body half read would leave that request unanswered (and the API unable to stop).
    const api = new URL(stack.apiUrl);
    const head = (method: string, route: string, length?: number) =>
      `${method} ${route} HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${KEY_A}\r\n` +
      (length === undefined
        ? '\r\n'
        : `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
    for (const route of ['/v1/images', '/v1/uploads', '/v1/webhooks']) {
      const socket = net.connect(Number(api.port), api.hostname);
      let received = '';
      socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
      socket.on('error', () => {});
      const statuses = () => [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
      try {
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write(head('POST', route, MiB) + ' '.repeat(MiB) + head('GET', '/v1/usage'));
        for (const deadline = Date.now() + 10_000; statuses().length < 2 && Date.now() < deadline;)
          await new Promise((resolve) => setTimeout(resolve, 50));
        expect(statuses(), `${route}, then GET /v1/usage on the same connection`).toEqual([
          413, 200,
        ]);
      } finally {
        socket.destroy();
      }
    }
  });

  it('refuses malformed, mistyped and unknown bodies with 4xx JSON errors', async () => {
    const cases: Array<[string | Buffer, string, number[]]> = [
      ['{"tool":', 'application/json', [400]],
      ['null', 'application/json', [400]],
      ['[]', 'application/json', [400]],
      ['"dall-e"', 'application/json', [400]],
      ['{"tool":5,"sourceKey":"x"}', 'application/json', [400]],
      ['{"tool":"dall-e","sourceKey":123}', 'application/json', [400]],
      ['{"tool":"midjourney","sourceKey":"x"}', 'application/json', [400]],
      ['{"tool":"dall-e"}', 'application/json', [400]],
      [
        '{"tool":"dall-e","sourceKey":"a","sourceUrl":"https://x.test/a"}',
        'application/json',
        [400],
      ],
      ['{"tool":"dall-e","sourceKey":"a","__proto__":{"admin":true}}', 'application/json', [400]],
      ['{"tool":"dall-e","sourceKey":"a"}', 'text/plain', [415]],
      [Buffer.alloc(64 * 1024, 0x20), 'application/json', [413]],
      [
        `{"tool":"dall-e","sourceUrl":"https://x.test/${'a'.repeat(3000)}"}`,
        'application/json',
        [400],
      ],
    ];
    for (const [body, type, statuses] of cases) {
      const res = await raw('POST', '/api/v1/images', { ...auth(), 'content-type': type }, body);
      expectCleanError(res, statuses, `body ${String(body).slice(0, 60)}`);
    }
  });

  it('refuses sourceKeys that are not the caller’s and private sourceUrls', async () => {
    const submit = (body: object) =>
      raw(
        'POST',
        '/api/v1/images',
        { ...auth(), 'content-type': 'application/json' },
        JSON.stringify(body),
      );
    expectCleanError(
      await submit({ tool: 'sora', sourceKey: otherKey }),
      [404],
      'another user’s upload',
    );
    expectCleanError(
      await submit({ tool: 'sora', sourceKey: 'uploads/user-a/../user-b/x' }),
      [404],
      'traversal in sourceKey',
    );
    // An empty upload of one's own: refused at once (a job from it could only fail), no job made.
    const emptyKey = await upload(KEY_A, 'empty.png', '');
    const empty = await submit({ tool: 'sora', sourceKey: emptyKey });
    expectCleanError(empty, [422], 'an empty sourceKey');
    expect(JSON.parse(empty.body)).toMatchObject({ error: { code: 'E_UNSUPPORTED_FORMAT' } });
    for (const sourceUrl of [
      'http://127.0.0.1/x.jpg',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:127.0.0.1]/x.jpg',
      'http://0x7f.1/x.jpg',
      'http://2130706433/x.jpg',
      'http://10.0.0.1/x.jpg',
      'file:///etc/passwd',
      'ftp://example.com/x.jpg',
      'http://[::127.0.0.1]/x.jpg',
      'http://example.com:6379/x.jpg',
      'http://localhost.localdomain:9/x.jpg',
    ]) {
      expectCleanError(await submit({ tool: 'sora', sourceUrl }), [400], sourceUrl);
    }
  });

  /** Submits a job for `sourceUrl` and waits until it has failed or completed. */
  const runJob = async (sourceUrl: string) => {
    const { jobId } = (await (
      await fetch(`${stack.gatewayUrl}/v1/images`, {
        method: 'POST',
        body: JSON.stringify({ tool: 'sora', sourceUrl }),
        headers: { ...auth(), 'content-type': 'application/json' },
      })
    ).json()) as { jobId: string };
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      const status = (await (
        await fetch(`${stack.gatewayUrl}/v1/images/${jobId}`, { headers: auth() })
      ).json()) as { status: string; error?: { code: string; message: string } };
      if (status.status === 'failed' || status.status === 'completed') return status;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job for ${sourceUrl} did not finish`);
  };

  it('fails jobs whose allowed host redirects to a private address', async () => {
    expect(await runJob(redirectUrl)).toMatchObject({
      status: 'failed',
      error: { code: 'E_FORBIDDEN_SOURCE' },
    });
  });

  it(
    'fails jobs whose host name resolves to a private address with E_FORBIDDEN_SOURCE, naming no address',
    hostsNeeded,
    async () => {
      // A name (not an IP literal) passes submission; the worker, whose /etc/hosts maps these names, refuses them
      // when it resolves them.
      for (const [name, address] of Object.entries(PRIVATE_NAMES)) {
        const job = await runJob(`http://${name}/x.jpg`);
        expect(job, name).toMatchObject({
          status: 'failed',
          error: { code: 'E_FORBIDDEN_SOURCE' },
        });
        expect(JSON.stringify(job.error), name).not.toContain(address);
        expect(JSON.stringify(job.error), name).not.toContain(name);
      }
    },
  );

  it('answers huge headers, long URIs, bad auth and unknown routes with JSON errors', async () => {
    expectCleanError(
      await raw('GET', '/api/v1/files', { ...auth(), 'x-padding': 'p'.repeat(40_000) }),
      [400, 431],
      'huge header',
    );
    expectCleanError(
      await raw('GET', `/api/v1/files?prefix=${'a'.repeat(20_000)}`, auth()),
      [400, 414],
      'long URI',
    );
    expectCleanError(
      await raw('GET', '/api/v1/files', { authorization: 'Basic dXNlcjpwYXNz' }),
      [401],
      'basic auth',
    );
    expectCleanError(
      await raw('GET', '/api/v1/files', { authorization: `Bearer ${KEY_A} extra` }),
      [401],
      'two tokens',
    );
    expectCleanError(
      await raw('GET', '/api/v1/files', { authorization: 'Bearer ' }),
      [401],
      'empty token',
    );
    expectCleanError(await raw('GET', '/api/v1/nope', auth()), [404], 'unknown route');
    expectCleanError(await raw('PATCH', '/api/v1/files', auth()), [404], 'unknown method');
    expectCleanError(await raw('GET', '/api/v1/files?limit=abc', auth()), [400], 'bad limit');
    expectCleanError(
      await raw('GET', '/api/v1/files?limit=1&limit=2', auth()),
      [400],
      'repeated limit',
    );
    expectCleanError(
      await raw('GET', '/api/v1/images/../../files', auth()),
      [404],
      'job id traversal',
    );
  });

  it('survives randomly generated requests: never a 5xx, always JSON on errors', async () => {
    const segment = fc.constantFrom(
      'v1',
      'files',
      'images',
      '..',
      '.',
      '%2e%2e',
      '%2f',
      '%00',
      '%ff',
      'uploads',
      'user-a',
      'user-b',
      '中',
      '~',
      ';',
      '*',
      '%',
      '?x=1',
      '#',
      '\\',
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD', 'PUT', 'OPTIONS'),
      path: fc.array(segment, { maxLength: 6 }).map((parts) => `/api/${parts.join('/')}`),
      body: fc.oneof(fc.constant(undefined), fc.json(), fc.string({ maxLength: 200 })),
      type: fc.constantFrom(
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
      ),
      authed: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path: target, body, type, authed }) => {
        const headers: Record<string, string> = { 'content-type': type, ...(authed ? auth() : {}) };
        const res = await raw(
          method,
          target.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)),
          headers,
          method === 'GET' || method === 'HEAD' ? undefined : body,
        );
        expect(res.status, `${method} ${target}`).toBeLessThan(500);
        if (res.status >= 400 && method !== 'HEAD')
          expectCleanError(res, FUZZ_REFUSALS, `${method} ${target}`);
      }),
      { numRuns: 250 },
    );
    expect((await fetch(`${stack.apiUrl}/healthz`)).status).toBe(200);
  });
});
