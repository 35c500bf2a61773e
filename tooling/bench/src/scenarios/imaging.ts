import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@monorepo/dev-servers';
import { buildImagingPath, configureSharp } from '@monorepo/image-processor';
import { StorageFactory } from '@monorepo/storage';
import { startStack } from '@monorepo/stack';
import { photoJpeg } from '@monorepo/test-utils/images';
import sharp from 'sharp';
import { compare, log } from '../harness.js';
import type { Comparison, Measurement } from '../harness.js';

const run = promisify(execFile);
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));
const KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const SALT = 'ffeeddccbbaa99887766554433221100';
const pair = { key: Buffer.from(KEY, 'hex'), salt: Buffer.from(SALT, 'hex') };
const IN_FLIGHT = 4;

/** Peak resident memory (VmHWM) of a process, in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

async function fetchOk(url: string): Promise<Buffer> {
  const res = await fetch(url, { headers: { accept: 'image/webp' } });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.toString().slice(0, 200)}`);
  return body;
}

async function wrk(url: string, seconds: number): Promise<number> {
  const { stdout } = await run(WRK!, ['-t2', '-c16', `-d${seconds}s`, url]);
  if (/Non-2xx or 3xx responses/.test(stdout)) throw new Error(`wrk saw errors:\n${stdout}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
}

/**
 * On-request renders (apps/imaging behind nginx's /img/): cold renders of one URL form (a new `cb` each time, so
 * every request renders) vs raw sharp in-process and vs ipx on its own server, 4 in flight, 500 px WebP; peak RSS of
 * the imaging process vs ipx's; cache hits through nginx vs nginx serving the same bytes as a static file (wrk).
 */
export async function imagingScenario(
  quick: boolean,
): Promise<{ comparisons: Comparison[]; measurements: Measurement[] }> {
  configureSharp();
  const comparisons: Comparison[] = [];
  const measurements: Measurement[] = [];
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-imaging-'));
  const stack = await startStack({
    dataDir,
    workers: 0,
    imaging: 1,
    apiKeys: { 'bench-imaging-key-0123456789abcdefghij': 'bench' },
    imagingKeys: `bench:${KEY}:${SALT}`,
    env: { LOG_LEVEL: 'warn', IMAGING_TEAM_RENDER_RATE: '100000000' },
  });
  const ipxDir = path.join(dataDir, 'ipx');
  const ipxPort = await freePort();
  const ipxScript = fileURLToPath(new URL('../ipx-server.js', import.meta.url));
  const ipx = spawn(process.execPath, [ipxScript, ipxDir, String(ipxPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MALLOC_ARENA_MAX: '2' },
  });
  try {
    const storage = StorageFactory.fromEnv(stack.storageEnv);
    await new Promise<void>((resolve, reject) => {
      ipx.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      ipx.once('exit', () => reject(new Error('ipx exited')));
    });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(ipxDir, { recursive: true });
    let n = 0;
    for (const [label, width, height] of [
      ['6000×4000', 6000, 4000],
      ['1600×1200', 1600, 1200],
    ] as const) {
      const input = await photoJpeg(width, height);
      const key = `processed/dall-e/bench/job/source-${width}.jpg`;
      await storage.upload(key, input, 'image/jpeg');
      await writeFile(path.join(ipxDir, `source-${width}.jpg`), input);
      const raw = () =>
        Promise.all(
          Array.from({ length: IN_FLIGHT }, () =>
            sharp(input).rotate().resize({ width: 500 }).webp({ quality: 80 }).toBuffer(),
          ),
        );
      const ours = () =>
        Promise.all(
          Array.from({ length: IN_FLIGHT }, () =>
            fetchOk(
              `${stack.cdnUrl}/img${buildImagingPath(['w:500', `cb:${n++}`], `local:///${key}`, pair, { format: 'webp' })}`,
            ),
          ),
        );
      const peer = () =>
        Promise.all(
          Array.from({ length: IN_FLIGHT }, () =>
            fetchOk(`http://127.0.0.1:${ipxPort}/w_500,f_webp,q_80/source-${width}.jpg`),
          ),
        );
      const rounds = quick ? 3 : 5;
      const work = quick ? 2 : 3;
      comparisons.push(
        await compare({
          scenario: 'imaging',
          case: `cold render ${label} JPEG → 500 px WebP, ${IN_FLIGHT} in flight: /img/ vs raw sharp in-process`,
          unit: 'images/s',
          rounds,
          work,
          unitsPerOp: IN_FLIGHT,
          target: 0.9,
          raw,
          ours,
        }),
      );
      comparisons.push(
        await compare({
          scenario: 'imaging',
          case: `peer: ipx 3.1.1 (own server) ${label} JPEG → 500 px WebP, ${IN_FLIGHT} in flight vs raw sharp`,
          unit: 'images/s',
          rounds,
          work,
          unitsPerOp: IN_FLIGHT,
          raw,
          ours: peer,
          notes: { reference: 'the peer, not us' },
        }),
      );
    }
    const imagingRss = await peakRssMb(stack.imaging[0]!.pid!);
    const ipxRss = await peakRssMb(ipx.pid!);
    measurements.push(
      {
        scenario: 'imaging',
        name: 'peak RSS of the imaging process after the cold renders',
        value: Math.round(imagingRss),
        unit: 'MB',
        limit: { value: Math.round(ipxRss), better: 'below' },
        notes: { ipx: Math.round(ipxRss) },
      },
      {
        scenario: 'imaging',
        name: 'peak RSS of the ipx process after the same renders',
        value: Math.round(ipxRss),
        unit: 'MB',
        notes: { reference: 'the peer' },
      },
    );

    if (WRK) {
      const key = 'processed/dall-e/bench/job/source-1600.jpg';
      const url = `${stack.cdnUrl}/img${buildImagingPath(['w:500'], `local:///${key}`, pair, { format: 'webp' })}`;
      const rendered = await fetchOk(url);
      await fetchOk(url); // now in nginx's cache
      const staticKey = 'processed/dall-e/bench/job/rendered-500.webp';
      await storage.upload(staticKey, rendered, 'image/webp');
      const staticUrl = `${stack.cdnUrl}/static/${staticKey}`;
      const seconds = quick ? 2 : 5;
      const samples: { hit: number[]; file: number[] } = { hit: [], file: [] };
      for (let i = 0; i < (quick ? 2 : 3); i++) {
        samples.file.push(await wrk(staticUrl, seconds));
        samples.hit.push(await wrk(url, seconds));
      }
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const stats = (values: number[]) => ({
        median: median(values),
        p10: Math.min(...values),
        p90: Math.max(...values),
        samples: values,
      });
      comparisons.push({
        scenario: 'imaging',
        case: `cache hit through nginx /img/ vs the same ${Math.round(rendered.length / 1024)} KB as a static file (wrk, 16 connections)`,
        unit: 'req/s',
        raw: stats(samples.file),
        ours: stats(samples.hit),
        ratio: median(samples.hit) / median(samples.file),
        target: 0.9,
      });
    } else log('imaging: wrk not installed, cache-hit row skipped (make bench installs it)');
  } finally {
    ipx.kill();
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return { comparisons, measurements };
}
