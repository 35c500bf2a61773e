#!/usr/bin/env node
// `pnpm storage …` and the make storage-* targets: the storage CLI (packages/storage-cli) with the running
// stack's storage configuration. `make start` writes it to .data/storage.env (DATA_DIR/storage.env); it is
// loaded when present, and variables already set in the environment win over it. The CLI is built first
// when it has not been (a fresh clone).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'packages', 'storage-cli', 'dist', 'bin.js');
const envFile = path.resolve(root, process.env.DATA_DIR ?? '.data', 'storage.env');

if (existsSync(envFile)) process.loadEnvFile(envFile);
// Never ask EC2 instance metadata for credentials by accident; AWS_EC2_METADATA_DISABLED=false opts in.
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

if (!existsSync(bin)) {
  const built = spawnSync(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@monorepo/storage-cli...',
      '--output-logs=errors-only',
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const result = spawnSync(process.execPath, [bin, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
