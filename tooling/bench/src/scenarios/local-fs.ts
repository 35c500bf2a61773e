import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalStorageAdapter } from '@monorepo/storage';
import { compare } from '../harness.js';
import type { Comparison } from '../harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The same atomic write the adapter does, by hand: temp file, write, rename; when `durable` (the adapter's
 * default), fsync the file before the rename and the directory after it.
 */
async function rawWrite(dir: string, name: string, data: Buffer, durable = true): Promise<void> {
  const tmp = path.join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  const handle = await open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path.join(dir, name));
  if (!durable) return;
  const dirHandle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  await dirHandle.sync();
  await dirHandle.close();
}
const rawDurableWrite = (dir: string, name: string, data: Buffer) => rawWrite(dir, name, data);

/** Scenario 1: LocalStorageAdapter vs raw node:fs doing the same durable work. */
export async function localFsScenario(quick: boolean): Promise<Comparison[]> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-local-'));
  const rawDir = path.join(root, 'raw', 'dir');
  await mkdir(rawDir, { recursive: true });
  const storage = new LocalStorageAdapter({
    type: 'local',
    baseUrl: 'http://x',
    localBasePath: path.join(root, 'ours'),
  });
  // The same writes without fsync (`fsync: false`, e.g. on a filesystem that is itself replicated).
  const unsynced = new LocalStorageAdapter({
    type: 'local',
    baseUrl: 'http://x',
    localBasePath: path.join(root, 'ours-unsynced'),
    fsync: false,
  });
  const results: Comparison[] = [];
  const sizes: Array<[string, number, number, number]> = [
    // label, bytes, ops per round, target ratio
    ['1 KiB', KiB, quick ? 100 : 400, 0.9],
    ['1 MiB', MiB, quick ? 10 : 40, 0.9],
    ['64 MiB', 64 * MiB, quick ? 1 : 2, 0.9],
  ];
  try {
    for (const [label, size, work, target] of sizes) {
      // Nothing of the previous cases left to write back: with it, whichever side's fsyncs came first paid for it
      // (64 MiB uploads came out at 0.63–0.67 after the 1 MiB cases, 0.99 when run first).
      execFileSync('sync');
      const data = randomBytes(size);
      const big = size >= MiB;
      const tag = label.replace(' ', '');
      let n = 0;
      results.push(
        await compare({
          scenario: 'local-fs',
          case: `upload ${label}`,
          unit: big ? 'MB/s' : 'ops/s',
          rounds: quick ? 3 : 7,
          work,
          unitsPerOp: big ? size / 1e6 : 1,
          target,
          raw: () => rawDurableWrite(rawDir, `${tag}-${n++ % 16}.bin`, data),
          ours: () =>
            storage.upload(`dir/${tag}-${n++ % 16}.bin`, data, 'application/octet-stream'),
        }),
      );
      if (size === KiB) {
        let m = 0;
        results.push(
          await compare({
            scenario: 'local-fs',
            case: `upload ${label} without fsync`,
            unit: 'ops/s',
            rounds: quick ? 3 : 7,
            work: work * 2,
            unitsPerOp: 1,
            target: 0.75,
            raw: () => rawWrite(rawDir, `nosync-${m++ % 16}.bin`, data, false),
            ours: () =>
              unsynced.upload(`dir/nosync-${m++ % 16}.bin`, data, 'application/octet-stream'),
          }),
        );
      }
      await rawDurableWrite(rawDir, `${tag}-dl.bin`, data);
      await storage.upload(`dir/${tag}-dl.bin`, data, 'application/octet-stream');
      results.push(
        await compare({
          scenario: 'local-fs',
          case: `download ${label}`,
          unit: big ? 'MB/s' : 'ops/s',
          rounds: quick ? 3 : 7,
          work: work * 2,
          unitsPerOp: big ? size / 1e6 : 1,
          // Reads of 1 KiB are mostly the fixed cost of an open: the old target stays.
          target: size === KiB ? 0.75 : target,
          raw: () => readFile(path.join(rawDir, `${tag}-dl.bin`)),
          ours: () => storage.download(`dir/${tag}-dl.bin`),
        }),
      );
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return results;
}
