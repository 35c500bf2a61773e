import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import type { StorageAdapter } from '@monorepo/storage';
import type { Stack } from './stack.js';

// Helpers of the abuse suites (abuse.test.ts, fairness.test.ts, abuse-s3.test.ts). One misbehaving client must not hurt another team: every limit here holds across two API processes and two
// worker processes sharing one Redis, behind one nginx.
export const MB = 1024 * 1024;
export const key = (user: string) => `abuse-key-${user}-${'0123456789abcdef'.repeat(2)}`;
export const USERS = ['abort', 'quota', 'rate', 'other', 'slots', 'jobs', 'drift', 'a', 'b'];

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Every temporary file of an interrupted write under a local storage root. */
export async function tempFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.startsWith('.~tmp')).map((e) => e.name);
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return Number(line?.[1] ?? 0) / 1024;
}

/**
 * Starts an upload of `total` bytes, sends `sent` of them, then kills the connection the way a crashed client
 * or a dropped mobile link does.
 */
export async function abortedUpload(
  gatewayUrl: string,
  user: string,
  kind: 'raw' | 'multipart',
  total: number,
  sent: number,
): Promise<void> {
  const boundary = `----abuse${randomBytes(8).toString('hex')}`;
  const head =
    kind === 'multipart'
      ? Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n',
        )
      : Buffer.alloc(0);
  const req = http.request(`${gatewayUrl}/v1/files?name=big.bin`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key(user)}`,
      'content-type':
        kind === 'multipart'
          ? `multipart/form-data; boundary=${boundary}`
          : 'application/octet-stream',
      'content-length': String(
        head.length + total + (kind === 'multipart' ? boundary.length + 8 : 0),
      ),
    },
  });
  req.on('error', () => {});
  // An answer before the cut (a refusal) ends the upload: fail at once rather than wait for a drain that never comes.
  const answered = new Promise<never>((_, reject) =>
    req.once('response', (res) => {
      res.resume();
      req.destroy();
      reject(new Error(`the ${kind} upload was answered ${res.statusCode} before it was cut`));
    }),
  );
  answered.catch(() => {});
  req.write(head);
  const chunk = randomBytes(256 * 1024);
  for (let written = 0; written < sent; written += chunk.length) {
    if (!req.write(chunk))
      await Promise.race([new Promise((resolve) => req.once('drain', resolve)), answered]);
  }
  await sleep(300); // let the bytes reach storage
  req.destroy();
}

export async function upload(
  stack: Stack,
  user: string,
  body: Buffer,
  options: { multipart?: boolean; name?: string } = {},
): Promise<Response> {
  const name = options.name ?? 'file.bin';
  if (options.multipart) {
    const form = new FormData();
    form.append('file', new Blob([body]), name);
    return fetch(`${stack.gatewayUrl}/v1/files`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${key(user)}` },
    });
  }
  return fetch(`${stack.gatewayUrl}/v1/files?name=${name}`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${key(user)}`, 'content-type': 'application/octet-stream' },
  });
}

export const api = (stack: Stack, user: string, route: string, init: RequestInit = {}) =>
  fetch(`${stack.gatewayUrl}${route}`, {
    ...init,
    headers: {
      authorization: `Bearer ${key(user)}`,
      'content-type': 'application/json',
      ...(init.headers as Record<string, string>),
    },
  });

export async function keysOf(storage: StorageAdapter, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of storage.listAll(prefix)) keys.push(item.key);
  return keys;
}
