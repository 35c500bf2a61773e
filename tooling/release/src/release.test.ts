import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMED, EVERY_PACKAGE, SEED_EXAMPLES } from './seed-examples.js';
import { startVerdaccio } from './verdaccio.js';
import type { Registry } from './verdaccio.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const env = { ...process.env, AWS_CA_BUNDLE: '', CI: 'true', NO_COLOR: '1' };

/** A Node line to run on: its binary, and the environment that puts it first on PATH (for npm, pnpm, tsc). */
interface NodeLine {
  node: string;
  env: NodeJS.ProcessEnv;
}
/** The Node this test runs on (.nvmrc: Node 24 in `make test`). */
const current: NodeLine = { node: process.execPath, env };
/** The oldest line the published packages support (engines ">=22"), from tooling/scripts/node-runtime.sh. */
function oldestLine(): NodeLine {
  const script = path.join(root, 'tooling', 'scripts', 'node-runtime.sh');
  const bin = execFileSync('bash', [script, 'oldest'], { encoding: 'utf8' }).trim();
  if (!bin) return { node: 'node', env }; // the machine's node is already on that line
  return {
    node: path.join(bin, 'node'),
    env: { ...env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
  };
}

/** Runs a command; never throws, so a test can assert a failing exit code. */
function run(
  command: string,
  args: string[],
  cwd: string,
  line: NodeLine = current,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const options = { cwd, env: line.env, maxBuffer: 64 * 1024 * 1024 };
    execFile(command, args, options, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function ok(
  command: string,
  args: string[],
  cwd: string,
  line: NodeLine = current,
): Promise<string> {
  const result = await run(command, args, cwd, line);
  if (result.code !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  return result.stdout;
}

/** The repository's published packages, as in a working tree at `dir`. */
function publicPackages(dir: string): Array<{ dir: string; name: string; version: string }> {
  return readdirSync(path.join(dir, 'packages'))
    .map((name) => path.join(dir, 'packages', name))
    .map((pkg) => ({
      pkg,
      manifest: JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')),
    }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ pkg, manifest }) => ({ dir: pkg, name: manifest.name, version: manifest.version }));
}

const changeset = (copy: string, line: NodeLine, ...args: string[]) =>
  run(
    line.node,
    [path.join(copy, 'node_modules', '@changesets', 'cli', 'bin.js'), ...args],
    copy,
    line,
  );

/**
 * A throwaway copy of the repository as it stands (tracked files of the working tree, plus the built `dist/`
 * of each package), installed offline from the pnpm store, and committed, so changesets can run on it.
 */
async function throwawayCopy(registry: Registry): Promise<string> {
  const copy = await mkdtemp(path.join(os.tmpdir(), 'release-copy-'));
  const files = (await ok('git', ['ls-files', '-z'], root)).split('\0').filter(Boolean);
  for (const file of files) {
    await mkdir(path.dirname(path.join(copy, file)), { recursive: true });
    await cp(path.join(root, file), path.join(copy, file)).catch(() => {}); // deleted in the working tree
  }
  for (const pkg of publicPackages(root))
    await cp(path.join(pkg.dir, 'dist'), path.join(copy, path.relative(root, pkg.dir), 'dist'), {
      recursive: true,
    });
  await appendFile(path.join(copy, '.npmrc'), `\n${registry.npmrc}`);
  await ok('pnpm', ['install', '--offline', '--frozen-lockfile', '--ignore-scripts'], copy);
  await ok('git', ['init', '-q', '-b', 'main'], copy);
  await ok('git', ['add', '-A'], copy);
  await ok(
    'git',
    ['-c', 'user.name=release', '-c', 'user.email=release@test', 'commit', '-qm', 'base'],
    copy,
  );
  return copy;
}

/**
 * The registry's document for a package (what `npm view` and installs read): every version's manifest, read over
 * HTTP rather than by starting npm for each question (~0.7 s of CPU each; the test asked ~40 of them).
 */
async function packument(
  registry: Registry,
  name: string,
): Promise<{ versions: Record<string, Record<string, unknown>> }> {
  const res = await fetch(new URL(name.replace('/', '%2f'), registry.url));
  if (!res.ok) throw new Error(`${name}: the registry answered ${res.status}`);
  return (await res.json()) as { versions: Record<string, Record<string, unknown>> };
}

async function manifest(
  registry: Registry,
  name: string,
  version: string,
): Promise<Record<string, unknown>> {
  const found = (await packument(registry, name)).versions[version];
  if (!found) throw new Error(`${name}@${version} is not in the registry`);
  return found;
}

/** The paths inside the tarball the registry serves for `name@version`, as `tar` lists them. */
async function tarballFiles(registry: Registry, name: string, version: string): Promise<string[]> {
  const { tarball } = (await manifest(registry, name, version)).dist as { tarball: string };
  const res = await fetch(tarball);
  if (!res.ok) throw new Error(`${tarball}: the registry answered ${res.status}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tarball-'));
  try {
    await writeFile(path.join(dir, 'package.tgz'), Buffer.from(await res.arrayBuffer()));
    return (await ok('tar', ['tzf', 'package.tgz'], dir)).split('\n').filter(Boolean);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A fresh project that installs the packages by version range, compiles the seed's examples and runs them. */
async function consumer(
  client: 'npm' | 'pnpm',
  registry: Registry,
  versions: Record<string, string>,
  names: readonly string[],
  line: NodeLine,
) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `consumer-${client}-`));
  const dependencies = Object.fromEntries(names.map((name) => [name, `^${versions[name]}`]));
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `consumer-${client}`,
        private: true,
        type: 'module',
        dependencies,
        devDependencies: { typescript: '5.9.3', '@types/node': '22.20.7' },
      },
      null,
      2,
    ),
  );
  await writeFile(path.join(dir, '.npmrc'), `@monorepo:registry=${registry.url}\n`);
  await mkdir(path.join(dir, 'src'));
  for (const [file, source] of Object.entries(SEED_EXAMPLES))
    await writeFile(path.join(dir, 'src', file), source);
  if (names.length > CONSUMED.length)
    await writeFile(path.join(dir, 'src', 'every-package.ts'), EVERY_PACKAGE);
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        outDir: 'dist',
        skipLibCheck: true,
        types: ['node'],
      },
      include: ['src'],
    }),
  );
  if (client === 'npm')
    await ok('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir, line);
  else {
    // Like a team's own project: dependencies' install scripts are not run (sharp ships prebuilt binaries).
    await writeFile(path.join(dir, 'pnpm-workspace.yaml'), 'strictDepBuilds: false\n');
    await ok('pnpm', ['install'], dir, line);
  }
  await ok(
    line.node,
    [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir],
    dir,
    line,
  );
  return dir;
}

describe('a release through a real registry: changesets version and publish, consumers install by version', () => {
  let registry: Registry;
  let copy: string;
  let oldest: NodeLine;
  const dirs: string[] = [];
  beforeAll(async () => {
    oldest = oldestLine();
    registry = await startVerdaccio();
    copy = await throwawayCopy(registry);
    dirs.push(copy);
  }, 300_000);
  afterAll(async () => {
    await registry?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  let first: Record<string, string>;

  it('this repository: every published package changed since the last release comes with a changeset', async () => {
    const tag = await run(
      'git',
      ['describe', '--tags', '--abbrev=0', '--match', '@monorepo/*'],
      root,
    );
    const since =
      tag.code === 0
        ? tag.stdout.trim()
        : (await ok('git', ['rev-list', '--max-parents=0', 'HEAD'], root))
            .trim()
            .split('\n')
            .at(-1)!;
    const status = await run(
      process.execPath,
      [
        path.join(root, 'node_modules', '@changesets', 'cli', 'bin.js'),
        'status',
        `--since=${since}`,
      ],
      root,
    );
    expect(status.code, `${status.stdout}${status.stderr}`).toBe(0);
  });

  it('versions with the pending changesets: real ranges, CHANGELOG entries, no changeset left', async () => {
    const pending = readdirSync(path.join(copy, '.changeset')).filter(
      (f) => f.endsWith('.md') && f !== 'README.md',
    );
    expect(pending.length).toBeGreaterThan(0);
    const summary = (await readFile(path.join(copy, '.changeset', pending[0]!), 'utf8'))
      .split('---')[2]!
      .trim()
      .split('\n')[0]!;
    const before = Object.fromEntries(publicPackages(copy).map((p) => [p.name, p.version]));
    expect((await changeset(copy, current, 'version')).code).toBe(0);
    first = Object.fromEntries(publicPackages(copy).map((p) => [p.name, p.version]));
    expect(first).not.toEqual(before);
    expect(
      readdirSync(path.join(copy, '.changeset')).filter(
        (f) => f.endsWith('.md') && f !== 'README.md',
      ),
    ).toEqual([]);
    const changelogs = publicPackages(copy).map((p) =>
      readFileSync(path.join(p.dir, 'CHANGELOG.md'), 'utf8'),
    );
    expect(changelogs.some((text) => text.includes(summary.slice(0, 40)))).toBe(true);
    for (const text of changelogs)
      expect(text).toMatch(/^# @monorepo\/[a-z0-9-]+\n\n## \d+\.\d+\.\d+/);
    await ok('git', ['add', '-A'], copy);
    await ok(
      'git',
      ['-c', 'user.name=r', '-c', 'user.email=r@t', 'commit', '-qm', 'version'],
      copy,
    );
  }, 120_000);

  it('publishes every package; the manifests hold real ranges, exports, types and engines, and only dist', async () => {
    const published = await changeset(copy, current, 'publish');
    expect(published.code, published.stderr).toBe(0);
    for (const pkg of publicPackages(copy)) {
      const stored = await manifest(registry, pkg.name, pkg.version);
      const text = JSON.stringify(stored);
      expect(text, pkg.name).not.toContain('workspace:');
      expect(stored.engines, pkg.name).toEqual({ node: '>=22' });
      expect(
        (stored.exports as Record<string, Record<string, string>>)['.'],
        pkg.name,
      ).toMatchObject({
        types: expect.stringMatching(/^\.\/dist\/.*\.d\.ts$/),
        import: expect.stringMatching(/^\.\/dist\/.*\.js$/),
      });
      const files = await tarballFiles(registry, pkg.name, pkg.version);
      expect(files, pkg.name).toContain('package/CHANGELOG.md');
      const unexpected = files.filter(
        (file) =>
          !/^package\/(package\.json|README\.md|CHANGELOG\.md|dist\/.+)$/.test(file) ||
          /\.test\.|\/test-|tsconfig|\.d\.ts\.map$/.test(file),
      );
      expect(unexpected, pkg.name).toEqual([]);
    }
    const deps = (
      await manifest(registry, '@monorepo/storage-local', first['@monorepo/storage-local']!)
    ).dependencies as Record<string, string>;
    expect(deps['@monorepo/storage-core']).toBe(`^${first['@monorepo/storage-core']}`);
  }, 300_000);

  it('installs by version range with npm (Node 24) and with pnpm (Node 22), type-checks and runs the seed examples on both lines', async () => {
    for (const client of ['npm', 'pnpm'] as const) {
      // npm installs every published package (and imports each from ESM); pnpm what a team typically uses.
      const names = client === 'npm' ? Object.keys(first) : CONSUMED;
      const dir = await consumer(
        client,
        registry,
        first,
        names,
        client === 'npm' ? current : oldest,
      );
      if (client === 'npm')
        for (const name of names)
          for (const line of [current, oldest]) {
            const keys = await ok(
              line.node,
              [
                '--input-type=module',
                '-e',
                `const m = await import('${name}'); console.log(Object.keys(m).length);`,
              ],
              dir,
              line,
            );
            expect(Number(keys.trim()), `${name} exports`).toBeGreaterThan(0);
          }
      dirs.push(dir);
      for (const line of [current, oldest]) {
        const label = `${client} on ${line.node}`;
        const work = await mkdtemp(path.join(os.tmpdir(), 'seed-run-'));
        dirs.push(work);
        const out = await ok(
          line.node,
          [path.join(dir, 'dist', 'basic-usage.js'), work],
          dir,
          line,
        );
        expect(out, label).toContain('Downloaded: Hello, World!');
        expect(out, label).toContain('Exists: true');
        const image = await ok(
          line.node,
          [path.join(dir, 'dist', 'image-processing.js'), work],
          dir,
          line,
        );
        expect(image, label).toMatch(
          /Normal quality: http:\/\/localhost\/static\/processed\/dall-e\/user-123\/job-123\/normal-/,
        );
        expect(await ok(line.node, ['-p', 'process.versions.node.split(".")[0]'], dir, line)).toBe(
          line === current ? '24\n' : '22\n',
        );
      }
      const installed = JSON.parse(
        await readFile(
          path.join(dir, 'node_modules', '@monorepo', 'storage', 'package.json'),
          'utf8',
        ),
      ) as { version: string };
      expect(installed.version, client).toBe(first['@monorepo/storage']);
    }
  }, 600_000);

  it('a second release (versioned and published on Node 22) publishes only what changed; consumers upgrade within their range', async () => {
    await writeFile(
      path.join(copy, '.changeset', 'core-fix.md'),
      "---\n'@monorepo/storage-core': patch\n---\n\nA fix in the core for the second release.\n",
    );
    expect((await changeset(copy, oldest, 'version')).code).toBe(0);
    const second = Object.fromEntries(publicPackages(copy).map((p) => [p.name, p.version]));
    await ok('git', ['add', '-A'], copy);
    await ok(
      'git',
      ['-c', 'user.name=r', '-c', 'user.email=r@t', 'commit', '-qm', 'version 2'],
      copy,
    );
    const published = await changeset(copy, oldest, 'publish');
    expect(published.code, published.stderr).toBe(0);
    const changed = Object.keys(second)
      .filter((name) => second[name] !== first[name])
      .sort();
    // The core and everything that depends on it, directly or not; nothing else.
    // Only the core: its dependents were published with `^` ranges (from `workspace:^`) that the patch
    // satisfies, so updateInternalDependencies leaves them alone and consumers get the fix through those ranges.
    expect(changed).toEqual(['@monorepo/storage-core']);
    for (const name of Object.keys(second)) {
      const { versions } = await packument(registry, name);
      expect(Object.keys(versions).length, name).toBe(changed.includes(name) ? 2 : 1);
    }
    expect(
      await readFile(path.join(copy, 'packages', 'storage-core', 'CHANGELOG.md'), 'utf8'),
    ).toContain('A fix in the core for the second release.');
    const dir = dirs.find((d) => path.basename(d).startsWith('consumer-npm-'))!;
    await ok('npm', ['update', '--no-audit', '--no-fund', '--loglevel=error'], dir, oldest);
    const upgraded = JSON.parse(
      await readFile(
        path.join(dir, 'node_modules', '@monorepo', 'storage-core', 'package.json'),
        'utf8',
      ),
    ) as { version: string };
    expect(upgraded.version).toBe(second['@monorepo/storage-core']);
  }, 600_000);

  it('changeset status fails when a published package changed since the release without a changeset', async () => {
    const tag = (await ok('git', ['rev-parse', 'HEAD'], copy)).trim(); // the last release
    expect((await changeset(copy, current, 'status', `--since=${tag}`)).code).toBe(0);
    await appendFile(
      path.join(copy, 'packages', 'tenant-limits', 'src', 'quota.ts'),
      '\n// changed\n',
    );
    await ok(
      'git',
      ['-c', 'user.name=r', '-c', 'user.email=r@t', 'commit', '-qam', 'undocumented change'],
      copy,
    );
    const status = await changeset(copy, current, 'status', `--since=${tag}`);
    expect(status.code).not.toBe(0);
    expect(`${status.stdout}${status.stderr}`).toMatch(
      /packages have been changed but no changesets/,
    );
  }, 120_000);
});
