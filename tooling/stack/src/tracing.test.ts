import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY = 'tracing-key-team-t-0123456789abcdef-1';

/** A span as the OTLP/HTTP JSON export carries it, with its service. */
interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

/** An in-process OTLP/HTTP receiver (JSON encoding): keeps every span it is sent. */
async function startOtlpReceiver() {
  const spans: ExportedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ spans: Omit<ExportedSpan, 'service'>[] }>;
          }>;
        };
        for (const resource of body.resourceSpans) {
          const service =
            resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ??
            '?';
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans) spans.push({ ...span, service });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('tracing (OTEL_* set): one trace per job, API → queue → worker → stored variants → webhook', () => {
  let stack: Stack;
  let dataDir: string;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let hooks: http.Server;
  const received: Array<{ body: string; headers: Record<string, string> }> = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tracing-'));
    otlp = await startOtlpReceiver();
    hooks = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    stack = await startStack({
      dataDir,
      apiKeys: { [KEY]: 'team-t' },
      env: {
        LOG_LEVEL: 'warn',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    hooks?.close();
    otlp?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exports one tree for a job, from the API request to the webhook delivery', async () => {
    const api = (route: string, init: RequestInit = {}) =>
      fetch(`${stack.gatewayUrl}${route}`, {
        ...init,
        headers: { authorization: `Bearer ${KEY}`, ...(init.headers as Record<string, string>) },
      });
    const hook = (await (
      await api('/v1/webhooks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/`,
          events: ['job.completed'],
        }),
      })
    ).json()) as { secret: string };
    const photo = await sharp({
      create: { width: 800, height: 600, channels: 3, background: '#a53' },
    })
      .jpeg()
      .toBuffer();
    const stored = (await (
      await api('/v1/files?name=t.jpg', {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: photo,
      })
    ).json()) as { key: string };
    const submitted = await api('/v1/images', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tool: 'dall-e', sourceKey: stored.key }),
    });
    expect(submitted.status).toBe(202);
    const { jobId } = (await submitted.json()) as { jobId: string };
    await expect.poll(() => received.length, { timeout: 60_000 }).toBe(1);
    expect(new Webhook(hook.secret).verify(received[0]!.body, received[0]!.headers)).toMatchObject({
      data: { id: jobId },
    });

    // The request's server span is the root; every other span of the trace hangs from it.
    const root = await expect
      .poll(() => otlp.spans.find((s) => s.service === 'api' && s.name === 'POST /v1/images'), {
        timeout: 20_000,
      })
      .toBeDefined()
      .then(() => otlp.spans.find((s) => s.name === 'POST /v1/images')!);
    const inTrace = () => otlp.spans.filter((s) => s.traceId === root.traceId);
    await expect
      .poll(() => inTrace().some((s) => s.name === 'webhook deliver'), { timeout: 20_000 })
      .toBe(true);
    const spans = inTrace();
    const names = (service: string) =>
      spans.filter((s) => s.service === service).map((s) => s.name);
    expect(names('api')).toEqual(
      expect.arrayContaining(['POST /v1/images', 'bullmq.add image-processing']),
    );
    expect(names('worker')).toEqual(
      expect.arrayContaining(['image job image-processing', 'webhook event', 'webhook deliver']),
    );
    // Every variant stored is a storage span of the worker, inside the job.
    expect(names('worker').filter((n) => n === 'storage.upload').length).toBeGreaterThan(1);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    expect(root.parentSpanId ?? '').toBe('');
    for (const span of spans) {
      // Climb to the root: no span of the trace is orphaned.
      let at = span;
      for (let depth = 0; at.parentSpanId && depth < 20; depth++) at = byId.get(at.parentSpanId)!;
      expect(at?.spanId, `${span.service} ${span.name}`).toBe(root.spanId);
    }
    const job = spans.find((s) => s.name === 'image job image-processing')!;
    expect(byId.get(job.parentSpanId!)!.name).toBe('bullmq.add image-processing');
  }, 120_000);
});
