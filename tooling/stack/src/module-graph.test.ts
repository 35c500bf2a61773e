import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
let dir: string;
let hook: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'module-graph-'));
  hook = path.join(dir, 'hook.mjs');
  // A resolve hook that records every module the process loads. It runs on the hooks thread: it appends to a file
  // synchronously, as stderr written from there may not be flushed before the process exits (lines went missing
  // on a loaded machine).
  await writeFile(
    hook,
    `import { appendFileSync } from 'node:fs';
     export async function resolve(specifier, context, next) {
       const result = await next(specifier, context);
       appendFileSync(${JSON.stringify(path.join(dir, 'loaded.txt'))}, 'LOADED ' + result.url + '\\n');
       return result;
     }`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('what `make start` loads', () => {
  it('runs the stack without a test framework: dev servers, never vitest or the contract suite', async () => {
    const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(pathToFileURL(hook).href)})`;
    await promisify(execFile)(process.execPath, [
      '--import',
      register,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(path.join(dist, 'stack.js')).href)})`,
    ]);
    const loaded = (await readFile(path.join(dir, 'loaded.txt'), 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('LOADED '))
      .map((line) => line.slice('LOADED '.length));
    expect(loaded.some((url) => url.includes('/dev-servers/'))).toBe(true);
    expect(loaded.filter((url) => /vitest|test-utils/.test(url))).toEqual([]);
  });
});
