// `make demo`: upload a sample image through the API, submit a job, wait, print the variant URLs served by nginx.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { repoRoot } from './repo-root.js';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

interface Target {
  gatewayUrl: string;
  apiKey: string;
}

async function runningStack(): Promise<Target | undefined> {
  const file = path.join(path.resolve(repoRoot(), process.env.DATA_DIR ?? '.data'), 'stack.json');
  if (!existsSync(file)) return undefined;
  const target = JSON.parse(await readFile(file, 'utf8')) as Target;
  const ok = await fetch(`${target.gatewayUrl}/healthz`, {
    signal: AbortSignal.timeout(2000),
  }).then(
    (r) => r.ok,
    () => false,
  );
  return ok ? target : undefined;
}

async function sampleImage(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="2400" height="1600"><defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#ff7a18"/><stop offset="1" stop-color="#0a4ea3"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="1200" cy="800" r="420" fill="#fff" fill-opacity=".35"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

async function call(
  target: Target,
  method: string,
  route: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${target.gatewayUrl}${route}`, {
    method,
    body,
    headers: { authorization: `Bearer ${target.apiKey}`, ...headers },
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${route} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function main(): Promise<void> {
  let stack: Stack | undefined;
  let tempDir: string | undefined;
  let target = await runningStack();
  if (!target) {
    console.log('No running stack found (make start); starting a temporary one…');
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'demo-stack-'));
    stack = await startStack({ dataDir: tempDir });
    target = { gatewayUrl: stack.gatewayUrl, apiKey: Object.keys(stack.apiKeys)[0]! };
  }
  try {
    const upload = await call(target, 'POST', '/v1/files?name=sample.jpg', await sampleImage(), {
      'content-type': 'image/jpeg',
    });
    console.log(`Uploaded   ${String(upload.key)} (${String(upload.size)} bytes)`);
    const job = await call(
      target,
      'POST',
      '/v1/images',
      JSON.stringify({ tool: 'dall-e', sourceKey: upload.key }),
      {
        'content-type': 'application/json',
      },
    );
    console.log(`Job        ${String(job.jobId)} queued`);
    const deadline = Date.now() + 60_000;
    let status: Record<string, unknown>;
    for (;;) {
      status = await call(target, 'GET', `/v1/images/${String(job.jobId)}`);
      if (status.status === 'completed' || status.status === 'failed') break;
      if (Date.now() > deadline) throw new Error('job did not finish within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (status.status === 'failed') throw new Error(`job failed: ${JSON.stringify(status.error)}`);
    const result = status.result as {
      variants: Array<{ name: string; url: string; width: number; height: number; bytes: number }>;
    };
    for (const variant of result.variants) {
      const res = await fetch(variant.url.replace('://localhost', '://127.0.0.1'));
      const bytes = (await res.arrayBuffer()).byteLength;
      console.log(
        `${variant.name.padEnd(13)} ${variant.url}\n              ${res.status} ${res.headers.get('content-type')} ${variant.width}x${variant.height} ${bytes} bytes, ${res.headers.get('cache-control')}`,
      );
      if (!res.ok || bytes !== variant.bytes)
        throw new Error(`variant ${variant.name} not served correctly`);
    }
  } finally {
    await stack?.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`make demo failed: ${(error as Error)?.message ?? String(error)}`);
  process.exit(1);
});
