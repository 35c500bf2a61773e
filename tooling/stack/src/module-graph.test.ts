import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
  // A resolve hook that reports every module the process loads.
  await writeFile(
    hook,
    `export async function resolve(specifier, context, next) {
       const result = await next(specifier, context);
       process.stderr.write('LOADED ' + result.url + '\\n');
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
    const { stderr } = await promisify(execFile)(process.execPath, [
      '--import',
      register,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(path.join(dist, 'stack.js')).href)})`,
    ]);
    const loaded = stderr
      .split('\n')
      .filter((line) => line.startsWith('LOADED '))
      .map((line) => line.slice('LOADED '.length));
    expect(loaded.some((url) => url.includes('/dev-servers/'))).toBe(true);
    expect(loaded.filter((url) => /vitest|test-utils/.test(url))).toEqual([]);
  });
});
