import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { needs } from '@monorepo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY = 'first-run-key-0123456789abcdefghij';

// A checkout cloned by root into /root/project: nginx workers (nobody) cannot enter a 0700 home.
describe(
  'first run from a private home directory, as root',
  needs('root', process.getuid?.() === 0, 'run the tests as root, as CI does'),
  () => {
    let home: string;
    let stack: Stack;
    beforeAll(async () => {
      home = await mkdtemp(path.join(os.tmpdir(), 'private-home-'));
      await chmod(home, 0o700);
      stack = await startStack({
        dataDir: path.join(home, 'project', '.data'),
        apiKeys: { [KEY]: 'u1' },
        workers: 0,
        env: { LOG_LEVEL: 'warn' },
      });
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
      await rm(home, { recursive: true, force: true });
    });

    it('serves uploaded files from the CDN instead of answering 403', async () => {
      const body = Buffer.from('served from a private checkout');
      const res = await fetch(`${stack.gatewayUrl}/v1/files?name=hello.txt`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'text/plain' },
      });
      expect(res.status).toBe(201);
      const { url } = (await res.json()) as { url: string };
      const served = await fetch(url);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(body)).toBe(true);
    });
  },
);
