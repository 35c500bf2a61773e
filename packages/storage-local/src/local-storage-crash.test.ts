import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { allFiles, useTempRoot } from '../test/test-helpers.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;

// The child streams 100 MiB (1 MiB every 5 ms) into the key through the built package.
const CHILD = `
import { Readable } from 'node:stream';
import { LocalStorageAdapter } from '@monorepo/storage-local';
const storage = new LocalStorageAdapter({ type: 'local', baseUrl: 'http://x', localBasePath: process.argv[1] });
let sent = 0;
const body = new Readable({
  read() {
    if (sent === 100) return this.push(null);
    sent += 1;
    setTimeout(() => this.push(Buffer.alloc(${MiB}, 0x55)), 5);
  },
});
await storage.upload('big/object.bin', body, 'application/octet-stream', { metadata: { from: 'child' } });
console.log('finished');
`;

async function tempFileSize(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const temps = names.filter((n) => n.startsWith('.~tmp'));
  const sizes = await Promise.all(
    temps.map((n) =>
      stat(path.join(dir, n)).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return Math.max(0, ...sizes);
}

async function killMidUpload(root: string): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, root], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const deadline = Date.now() + 20_000;
  while ((await tempFileSize(path.join(root, 'big'))) < 30 * MiB) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`child never got mid-way: ${output}`);
    await sleep(5);
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect(output).not.toContain('finished');
}

describe('a writer killed mid-upload', () => {
  const temp = useTempRoot();
  beforeEach(temp.mkdir);

  it('leaves the previous content in place and no visible temp file', async () => {
    const before = temp.adapter();
    await before.upload('big/object.bin', 'old content', 'text/plain', {
      metadata: { from: 'parent' },
    });
    await killMidUpload(temp.root());

    // A fresh adapter, as after a process restart.
    const after = temp.adapter();
    expect((await after.download('big/object.bin')).toString()).toBe('old content');
    expect(await after.stat('big/object.bin')).toMatchObject({
      size: 11,
      contentType: 'text/plain',
      metadata: { from: 'parent' },
    });
    expect((await after.list('big/')).items.map((i) => i.key)).toEqual(['big/object.bin']);

    // The dead writer's partial temp file is on disk but invisible, and a sweep removes it.
    const onDisk = await allFiles(temp.root());
    expect(onDisk.filter((f) => f.includes('.~tmp')).length).toBe(1);
    expect(await after.sweepIncomplete({ olderThanMs: 0 })).toBe(1);
    expect((await allFiles(temp.root())).filter((f) => f.includes('.~tmp'))).toEqual([]);
    expect((await after.download('big/object.bin')).toString()).toBe('old content');
  });

  it('leaves nothing at a new key', async () => {
    await killMidUpload(temp.root());
    const after = temp.adapter();
    expect(await after.exists('big/object.bin')).toBe(false);
    await expect(after.stat('big/object.bin')).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await after.list('')).items).toEqual([]);
    await after.sweepIncomplete({ olderThanMs: 0 });
    expect(await allFiles(temp.root())).toEqual([]);
  });
});
