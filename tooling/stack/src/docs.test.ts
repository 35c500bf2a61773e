import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { s3TestTarget } from '@monorepo/dev-servers';
import type { S3TestServer } from '@monorepo/dev-servers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './repo-root.js';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

/**
 * Docs that cannot drift: every fenced block marked `runnable` (```bash runnable, ```ts runnable) in README.md,
 * docs/*.md and the package and app READMEs runs here, against a started stack (local storage behind nginx,
 * Redis, API, worker) and a radosgw for the S3 examples, with the placeholders the docs use filled in:
 *
 * - `http://localhost:8080` → the stack's nginx; `$API_KEY` / `process.env.API_KEY` → a key of the stack;
 * - `my-bucket` → a fresh bucket; `S3_ENDPOINT`, `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY` in the environment;
 * - `/var/www/storage` → a scratch directory; `DATA_DIR` → the stack's data directory (its `storage.env`, as
 *   `make start` writes it), so `pnpm storage …` operates on the running stack;
 * - `photo.jpg` in the working directory (a scratch directory) is a real JPEG.
 *
 * A shell block runs with `bash -euo pipefail` from the repository root; a TypeScript block runs with Node
 * (type stripping) from the package whose README holds it, so it imports that package by its name.
 */

const root = repoRoot();

interface Block {
  file: string;
  line: number;
  lang: 'bash' | 'ts';
  code: string;
}

async function docFiles(): Promise<string[]> {
  const files = [path.join(root, 'README.md')];
  for (const name of await readdir(path.join(root, 'docs')))
    if (name.endsWith('.md')) files.push(path.join(root, 'docs', name));
  for (const group of ['packages', 'apps', 'tooling'])
    for (const name of await readdir(path.join(root, group))) {
      const readme = path.join(root, group, name, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  return files;
}

/** The runnable blocks of one Markdown file. */
export function runnableBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(bash|sh|ts|typescript)\s+runnable\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const lang = open[1] === 'bash' || open[1] === 'sh' ? 'bash' : 'ts';
    blocks.push({ file, line: start + 1, lang, code: body.join('\n') });
  }
  return blocks;
}

const files = await docFiles();
const blocks = (
  await Promise.all(files.map(async (file) => runnableBlocks(file, await readFile(file, 'utf8'))))
).flat();

describe('the runnable examples in the docs work as written', () => {
  let stack: Stack;
  let s3: S3TestServer;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let fill: (code: string) => string;

  // Backups the examples write under the repository's backups/ (ignored by git) are removed afterwards.
  const backups = path.join(root, 'backups');
  let backupsBefore: string[] | undefined;

  beforeAll(async () => {
    backupsBefore = existsSync(backups) ? await readdir(backups) : undefined;
    work = await mkdtemp(path.join(os.tmpdir(), 'docs-test-'));
    const apiKey = `docs-${randomBytes(16).toString('hex')}`;
    stack = await startStack({
      dataDir: path.join(work, 'data'),
      apiKeys: { [apiKey]: 'docs-user' },
      env: { LOG_LEVEL: 'warn' },
    });
    s3 = await s3TestTarget();
    // What `make start` writes for `pnpm storage` and the make storage-* targets.
    await writeFile(
      path.join(stack.dataDir, 'storage.env'),
      Object.entries(stack.storageEnv)
        .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
        .join('\n'),
    );
    const cwd = path.join(work, 'cwd');
    await mkdir(cwd);
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#468' } })
      .jpeg()
      .toFile(path.join(cwd, 'photo.jpg'));
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(STORAGE_|S3_|API_)/.test(name)),
    );
    env = {
      ...clean,
      DATA_DIR: stack.dataDir,
      API_KEY: apiKey,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      DOCS_CWD: cwd,
    };
    const origin = new URL(stack.gatewayUrl).origin;
    const scratch = path.join(work, 'scratch');
    let bucket = 0;
    fill = (code) =>
      code
        .replaceAll('http://localhost:8080', origin)
        .replaceAll('/var/www/storage', scratch)
        .replaceAll('my-bucket', () => `docs-${process.pid}-${bucket}`)
        .replaceAll('$API_KEY', apiKey);
    // One fresh bucket per block.
    const base = fill;
    fill = (code) => {
      bucket += 1;
      return base(code);
    };
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await s3?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    if (!backupsBefore) await rm(backups, { recursive: true, force: true });
    else
      for (const name of existsSync(backups) ? await readdir(backups) : [])
        if (!backupsBefore.includes(name)) await rm(path.join(backups, name), { force: true });
  });

  it('finds runnable blocks in the docs', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  for (const block of blocks) {
    const where = `${path.relative(root, block.file)}:${block.line}`;
    it(`${where} (${block.lang})`, async () => {
      const code = fill(block.code);
      let result;
      if (block.lang === 'bash') {
        result = spawnSync('bash', ['-euo', 'pipefail', '-c', code], {
          cwd: root,
          env,
          encoding: 'utf8',
          timeout: 120_000,
        });
      } else {
        // Beside the README's package, so the snippet imports it by its own name.
        const script = path.join(
          path.dirname(block.file),
          `.docs-${process.pid}-${block.line}.mts`,
        );
        await writeFile(script, code);
        try {
          result = spawnSync(process.execPath, [script], {
            cwd: env.DOCS_CWD,
            env,
            encoding: 'utf8',
            timeout: 120_000,
          });
        } finally {
          await rm(script, { force: true });
        }
      }
      expect(
        { status: result.status, output: `${result.stdout}\n${result.stderr}` },
        `${where} failed:\n${result.stdout}\n${result.stderr}`,
      ).toMatchObject({ status: 0 });
    }, 150_000);
  }
});
