import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './repo-root.js';

const run = promisify(execFile);
const root = repoRoot();
const publicPackages = readdirSync(path.join(root, 'packages'))
  .map((dir) => ({
    dir: path.join(root, 'packages', dir),
    manifest: JSON.parse(readFileSync(path.join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter(({ manifest }) => manifest.private !== true);

// What a consumer writes: one use of each package's public API, type-checked against the published .d.ts files.
const CONSUMER = `
import { StorageError, validateKey, type StorageAdapter } from '@monorepo/storage-core';
import { LocalStorageAdapter } from '@monorepo/storage-local';
import { S3StorageAdapter } from '@monorepo/storage-s3';
import { StorageFactory, loadStorageConfig, type StorageConfig } from '@monorepo/storage';
import { ImageProcessor, ImageTool, type ProcessResult } from '@monorepo/image-processor';
import { imageJobDataSchema, type ImageJobData } from '@monorepo/image-queue';
import { PrometheusMonitoring, createLogger } from '@monorepo/observability';
import { MockS3Client, describeStorageAdapterContract } from '@monorepo/test-utils';
import { parseBackendSpec, syncStorage } from '@monorepo/storage-cli';

const config: StorageConfig = { type: 'local', baseUrl: 'http://x', localBasePath: '/tmp/consumer' };
const storage: StorageAdapter = StorageFactory.createAdapter(config);
const s3 = new S3StorageAdapter({ type: 's3', s3: { bucket: 'b', region: 'us-east-1' } }, { client: new MockS3Client() });
const processor = new ImageProcessor(storage, new PrometheusMonitoring());
const job: ImageJobData = imageJobDataSchema.parse({ id: 'j', userId: 'u', tool: ImageTool.SORA, sourceKey: 'k', submittedAt: new Date().toISOString() });
const result: Promise<ProcessResult> | undefined = undefined;
const local: LocalStorageAdapter = new LocalStorageAdapter(config);
export const used = [validateKey('a/b'), StorageError, loadStorageConfig, processor, job, result, local, s3, createLogger, describeStorageAdapterContract, parseBackendSpec, syncStorage];
`;

describe('published packages install and work for a plain npm consumer', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('packs every public package, installs the tarballs with npm, imports each from ESM and compiles against their types', async () => {
    const packs = await mkdtemp(path.join(os.tmpdir(), 'packs-'));
    const consumer = await mkdtemp(path.join(os.tmpdir(), 'consumer-'));
    dirs.push(packs, consumer);
    for (const pkg of publicPackages) {
      expect(pkg.manifest.files, `${pkg.manifest.name} files`).toEqual(['dist']);
      expect(pkg.manifest.engines?.node, `${pkg.manifest.name} engines`).toBe('>=20');
      expect(pkg.manifest.exports?.['.']?.types, `${pkg.manifest.name} exports types`).toBeTruthy();
      await run('pnpm', ['pack', '--pack-destination', packs], { cwd: pkg.dir });
    }
    const tarballs = await readdir(packs);
    expect(tarballs).toHaveLength(publicPackages.length);
    const deps = Object.fromEntries(
      publicPackages.map(({ manifest }) => {
        const file = tarballs.find((t) =>
          t.startsWith(`${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}`),
        )!;
        return [manifest.name, `file:${path.join(packs, file)}`];
      }),
    );
    await writeFile(
      path.join(consumer, 'package.json'),
      JSON.stringify(
        { name: 'consumer', private: true, type: 'module', dependencies: deps, overrides: deps },
        null,
        2,
      ),
    );
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
      {
        cwd: consumer,
        env: { ...process.env, AWS_CA_BUNDLE: '' },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    for (const name of Object.keys(deps)) {
      const { stdout } = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import('${name}'); console.log(Object.keys(m).length);`,
        ],
        {
          cwd: consumer,
        },
      );
      expect(Number(stdout.trim()), `${name} exports`).toBeGreaterThan(0);
    }
    await writeFile(path.join(consumer, 'consumer.ts'), CONSUMER);
    await writeFile(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = await run(process.execPath, [
      tsc,
      '-p',
      consumer,
      '--typeRoots',
      path.join(root, 'packages', 'storage-core', 'node_modules', '@types'),
    ]).then(
      () => 'ok',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(compiled).toBe('ok');
  }, 600_000);
});
