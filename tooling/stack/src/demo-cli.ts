// `make demo`: upload a sample image through the API, submit a job, wait, print the variant URLs served by nginx.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StorageApiClient } from '@monorepo/api-client';
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
    const client = new StorageApiClient({ baseUrl: target.gatewayUrl, apiKey: target.apiKey });
    const upload = await client.uploadFile(await sampleImage(), {
      name: 'sample.jpg',
      contentType: 'image/jpeg',
    });
    console.log(`Uploaded   ${upload.key} (${upload.size} bytes)`);
    const { jobId } = await client.submitImageJob({ tool: 'dall-e', sourceKey: upload.key });
    console.log(`Job        ${jobId} queued`);
    const status = await client.waitForImageJob(jobId, { timeoutMs: 60_000 });
    if (status.status === 'failed' || !status.result)
      throw new Error(`job failed: ${JSON.stringify(status.error)}`);
    const { result } = status;
    for (const variant of result.variants) {
      const res = await fetch(variant.url.replace('://localhost', '://127.0.0.1'));
      const bytes = (await res.arrayBuffer()).byteLength;
      console.log(
        `${variant.name.padEnd(13)} ${variant.url}\n              ${res.status} ${res.headers.get('content-type')} ${variant.width}x${variant.height} ${bytes} bytes, ${res.headers.get('cache-control')}`,
      );
      if (!res.ok || bytes !== variant.bytes)
        throw new Error(`variant ${variant.name} not served correctly`);
    }
    if (!stack)
      console.log(
        `\nTry it in a browser: ${new URL(result.variants[0]!.url).origin}/console/ (API key: ${target.apiKey})`,
      );
  } finally {
    await stack?.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`make demo failed: ${(error as Error)?.message ?? String(error)}`);
  process.exit(1);
});
