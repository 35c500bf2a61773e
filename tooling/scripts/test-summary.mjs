// Sums every package's vitest JSON report into one closing line: "Tests: N passed, N failed, N skipped", after
// the skips grouped by the reason their tests recorded (meta.skip from @monorepo/test-utils: `capability` for what
// a target cannot do by design, `prerequisite` for what this machine lacks). Exits non-zero on any failure, on a
// file that failed outside its tests, and, under CI=true, on any prerequisite skip.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const ci = ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
let passed = 0;
let failed = 0;
let skipped = 0;
const brokenFiles = [];
/** kind → reason → test names */
const skips = new Map();

/** Each package's `name` report (JSON), with the package's directory relative to the root. */
function* reports(name) {
  for (const group of ['packages', 'apps', 'tooling'])
    for (const pkg of readdirSync(path.join(root, group))) {
      const file = path.join(root, group, pkg, name);
      if (existsSync(file)) yield [path.join(group, pkg), JSON.parse(readFileSync(file, 'utf8'))];
    }
}

for (const [, report] of reports('test-results.json')) {
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const result of report.testResults ?? []) {
    const where = path.relative(root, result.name);
    // A file can fail with no failed test: at collection (message set) or in a hook, where vitest reports the
    // suite's tests as skipped.
    const testFailed = (result.assertionResults ?? []).some((test) => test.status === 'failed');
    if (result.status === 'failed' && (result.message || !testFailed))
      brokenFiles.push(
        `${where}: ${result.message || 'a hook (beforeAll/afterAll) failed; the tests it guards did not run'}`,
      );
    for (const test of result.assertionResults ?? []) {
      if (!['skipped', 'pending', 'todo'].includes(test.status)) continue;
      const { kind, reason } = test.meta?.skip ?? {
        kind: test.status === 'todo' ? 'todo' : 'unlabelled',
        reason: where,
      };
      if (!skips.has(kind)) skips.set(kind, new Map());
      const reasons = skips.get(kind);
      if (!reasons.has(reason)) reasons.set(reason, []);
      reasons.get(reason).push(`${where} › ${test.fullName}`);
    }
  }
}

if (skips.size > 0) {
  console.log('Skipped, by reason:');
  for (const kind of ['prerequisite', 'capability', 'unlabelled', 'todo']) {
    const reasons = skips.get(kind);
    if (!reasons) continue;
    const count = [...reasons.values()].reduce((sum, tests) => sum + tests.length, 0);
    console.log(`  ${kind} (${count})`);
    for (const [reason, tests] of [...reasons].sort((a, b) => b[1].length - a[1].length)) {
      console.log(`    ${tests.length} × ${reason}`);
      // Prerequisite and unlabelled skips are named (the first few): they may hide a broken setup.
      if (kind === 'capability') continue;
      for (const test of tests.slice(0, 5)) console.log(`        ${test}`);
      if (tests.length > 5) console.log(`        … and ${tests.length - 5} more`);
    }
  }
}
// Where the time went: the slowest files, hooks included (test-timings.json, @monorepo/vitest-config).
const timings = [];
for (const [dir, entries] of reports('test-timings.json'))
  for (const entry of entries) timings.push({ ...entry, file: path.join(dir, entry.file) });
if (timings.length > 0) {
  timings.sort((a, b) => b.ms - a.ms);
  const total = timings.reduce((sum, entry) => sum + entry.ms, 0);
  console.log(
    `Slowest test files (with their hooks; ${timings.length} files, ${Math.round(total / 1000)} s in all):`,
  );
  for (const entry of timings.slice(0, 15))
    console.log(`  ${(entry.ms / 1000).toFixed(1).padStart(6)} s  ${entry.file}`);
}
for (const broken of brokenFiles) console.log(`Failed outside its tests: ${broken}`);
const missing = [...(skips.get('prerequisite')?.values() ?? [])].flat().length;
if (ci && missing > 0)
  console.log(
    `CI=true: ${missing} tests skipped for a missing prerequisite; make setup should provide it`,
  );
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 || brokenFiles.length > 0 || (ci && missing > 0) ? 1 : 0);
