import path from 'node:path';
import { ConfigError, KEY_LAYOUT, StorageFactory, isStorageError } from '@monorepo/storage';
import type { StorageAdapter, StorageConfig } from '@monorepo/storage';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { describeBackend, parseBackendSpec } from './backend-spec.js';
import { backupToFile, restoreFromFile } from './backup.js';
import { cleanOlderThan, parseDuration } from './clean.js';
import { initStorage } from './init-storage.js';
import { createProgress, formatBytes } from './progress.js';
import { syncStorage } from './sync.js';
import { computeUsage } from './usage.js';

/** Exit codes: 0 done, 1 some objects failed, 2 bad arguments or configuration, 3 backend unreachable. */
export const EXIT = { ok: 0, partial: 1, usage: 2, unavailable: 3 } as const;

const out = (line = '') => process.stdout.write(`${line}\n`);

/**
 * Opens a backend. Only `init` and the targets of `sync`/`restore` may create a missing local root: a source
 * (and anything only read or cleaned) must exist, so a typo fails instead of reading an empty new directory.
 */
function open(
  spec: string,
  mode: 'read' | 'write' = 'read',
): { config: StorageConfig; storage: StorageAdapter } {
  const parsed = parseBackendSpec(spec);
  const config: StorageConfig =
    parsed.type === 'local' && mode === 'read' ? { ...parsed, createRoot: false } : parsed;
  return { config, storage: StorageFactory.createAdapter(config) };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function reportFailures(failed: Array<{ key: string; error: string }>): void {
  if (failed.length === 0) return;
  out(`\n${failed.length} object(s) failed:`);
  for (const { key, error } of failed) out(`  ${key}: ${error}`);
  process.exitCode = EXIT.partial;
}

export function buildProgram(): Command {
  const program = new Command('storage')
    .description(
      'Operate on storage backends: env (STORAGE_*/S3_* variables), env:PREFIX_, local:/path, s3://bucket/prefix',
    )
    .exitOverride()
    .showHelpAfterError();
  const storageOption = ['-s, --storage <backend>', 'backend to operate on', 'env'] as const;

  program
    .command('init')
    .description(
      'create the directory layout (uploads, generated, processed), or the bucket with a policy that lets anyone read public objects (job outputs by default) and nobody private ones (uploads by default), and check it',
    )
    .option(...storageOption)
    .option(
      '--cors-origin <origins...>',
      'S3: web origins whose pages may upload straight to the bucket, added to those already allowed (default: STORAGE_CORS_ORIGINS, comma-separated)',
    )
    .option('--replace', 'S3: the given origins replace those allowed before', false)
    .action(async (opts: { storage: string; corsOrigin?: string[]; replace: boolean }) => {
      const { config, storage } = open(opts.storage, 'write');
      const fromEnv = (process.env.STORAGE_CORS_ORIGINS ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);
      const origins = opts.corsOrigin ?? (fromEnv.length ? fromEnv : undefined);
      const report = await initStorage(
        storage,
        origins ? (opts.replace ? { corsOrigins: origins } : { addCorsOrigins: origins }) : {},
      );
      if (config.type === 'local') {
        out(`initialised ${describeBackend(config)} (${KEY_LAYOUT.folders.join(', ')})`);
      } else {
        out(`${report.created ? 'created' : 'found'} bucket ${config.s3.bucket}`);
      }
      if (report.anonymousRead)
        out(
          `bucket policy: anonymous read of public objects only (checked: ${Object.entries(
            report.anonymousRead,
          )
            .map(([prefix, status]) => `${prefix} ${status}`)
            .join(', ')})`,
        );
    });

  program
    .command('sync')
    .description('copy objects that differ from <from> to <to> (streamed, verified, resumable)')
    .argument('<from>')
    .argument('<to>')
    .option('-p, --prefix <prefix>', 'only keys starting with this', '')
    .option('--delete', 'delete objects in <to> that <from> does not have', false)
    .option('-n, --dry-run', 'show what would change; change nothing', false)
    .option(
      '-c, --concurrency <n>',
      'objects up to 16 MiB in flight (larger ones: 4)',
      positiveInt,
      32,
    )
    .option('-q, --quiet', 'no progress output', false)
    .action(
      async (
        from: string,
        to: string,
        opts: {
          prefix: string;
          delete: boolean;
          dryRun: boolean;
          concurrency: number;
          quiet: boolean;
        },
      ) => {
        const source = open(from);
        const target = open(to, 'write');
        const progress = createProgress(opts.dryRun ? 'plan' : 'sync', process.stderr, opts.quiet);
        const summary = await syncStorage(source.storage, target.storage, { ...opts, progress });
        out(
          `${summary.dryRun ? 'dry run: would copy' : 'copied'} ${summary.copied} object(s) (${formatBytes(summary.copiedBytes)}), ` +
            `skipped ${summary.skipped} identical, ${summary.dryRun ? 'would delete' : 'deleted'} ${summary.deleted}, ` +
            `failed ${summary.failed.length} — ${describeBackend(source.config)} -> ${describeBackend(target.config)}`,
        );
        reportFailures(summary.failed);
      },
    );

  program
    .command('usage')
    .description('object counts and bytes per top-level folder and per tool')
    .argument('[prefix]', 'only keys starting with this', '')
    .option(...storageOption)
    .option('--json', 'machine-readable output', false)
    .action(async (prefix: string, opts: { storage: string; json: boolean }) => {
      const report = await computeUsage(open(opts.storage).storage, prefix);
      if (opts.json) {
        out(JSON.stringify(report, null, 2));
        return;
      }
      const rows = (title: string, map: Record<string, { objects: number; bytes: number }>) => {
        out(title);
        for (const [name, t] of Object.entries(map).sort())
          out(
            `  ${name.padEnd(24)} ${String(t.objects).padStart(10)} objects ${formatBytes(t.bytes).padStart(12)}`,
          );
      };
      rows('By folder:', report.byPrefix);
      rows('By tool:', report.byTool);
      out(`Total: ${report.total.objects} objects, ${formatBytes(report.total.bytes)}`);
    });

  program
    .command('clean')
    .description(
      'delete objects older than a duration (cleanup policy), or with --incomplete only what interrupted writes left behind',
    )
    .option('--older-than <duration>', 'e.g. 30d, 12h (with --incomplete: default 1h)', (v) => {
      try {
        return parseDuration(v);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    })
    .option(
      '--incomplete',
      'remove temporary files, orphaned sidecars and unfinished multipart uploads; never objects',
      false,
    )
    .option('-p, --prefix <prefix>', 'only keys starting with this', '')
    .option('-n, --dry-run', 'list what would be deleted', false)
    .option(...storageOption)
    .action(
      async (opts: {
        olderThan?: number;
        incomplete: boolean;
        prefix: string;
        dryRun: boolean;
        storage: string;
      }) => {
        if (opts.incomplete) {
          const olderThanMs = opts.olderThan ?? 60 * 60 * 1000;
          const removed = await open(opts.storage).storage.sweepIncomplete({ olderThanMs });
          out(
            `removed ${removed} leftover(s) of interrupted writes older than ${olderThanMs / 1000}s`,
          );
          return;
        }
        if (opts.olderThan === undefined)
          throw new ConfigError('clean needs --older-than <duration> (or --incomplete)', [
            'older-than: missing',
          ]);
        const cutoff = new Date(Date.now() - opts.olderThan);
        const summary = await cleanOlderThan(open(opts.storage).storage, cutoff, {
          prefix: opts.prefix,
          dryRun: opts.dryRun,
          onItem: (key) => opts.dryRun && out(`would delete ${key}`),
        });
        out(
          `${opts.dryRun ? 'dry run: would delete' : 'deleted'} ${opts.dryRun ? summary.matched : summary.deleted} object(s) older than ${cutoff.toISOString()}${opts.dryRun ? '' : ` (${formatBytes(summary.bytes)})`}`,
        );
        reportFailures(summary.failed);
      },
    );

  program
    .command('backup')
    .description('stream objects into a .tar.gz (content types and metadata kept)')
    .argument('<file>')
    .option('-p, --prefix <prefix>', 'only keys starting with this', '')
    .option(...storageOption)
    .option('-q, --quiet', 'no progress output', false)
    .action(async (file: string, opts: { prefix: string; storage: string; quiet: boolean }) => {
      const result = await backupToFile(open(opts.storage).storage, path.resolve(file), {
        prefix: opts.prefix,
        progress: createProgress('backup', process.stderr, opts.quiet),
      });
      out(`backed up ${result.objects} object(s), ${formatBytes(result.bytes)} to ${file}`);
    });

  program
    .command('restore')
    .description('stream a backup made by `storage backup` into a backend')
    .argument('<file>')
    .option(...storageOption)
    .option('-q, --quiet', 'no progress output', false)
    .action(async (file: string, opts: { storage: string; quiet: boolean }) => {
      const result = await restoreFromFile(
        open(opts.storage, 'write').storage,
        path.resolve(file),
        {
          progress: createProgress('restore', process.stderr, opts.quiet),
        },
      );
      out(`restored ${result.objects} object(s), ${formatBytes(result.bytes)} from ${file}`);
    });

  return program;
}

/** Runs the CLI and returns its exit code. */
export async function main(argv = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const message = (error as Error)?.message ?? String(error);
    process.stderr.write(`storage: ${message}\n`);
    if (isStorageError(error, 'ECONFIG') || isStorageError(error, 'EINVAL')) return EXIT.usage;
    if (isStorageError(error, 'EUNAVAILABLE')) return EXIT.unavailable;
    return EXIT.partial;
  }
}
