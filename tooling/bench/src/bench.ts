// `pnpm bench [--quick] [--only a,b] [--out file.json] [--help]`: every scenario, a table, docs/performance.json, .md and .svg.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@monorepo/stack';
import { log } from './harness.js';
import type { Comparison, Measurement } from './harness.js';
import { machine, renderMarkdown, renderSvg, renderTable } from './report.js';
import type { BenchResults } from './report.js';
import { endToEndScenario } from './scenarios/end-to-end.js';
import { imageScenario } from './scenarios/image.js';
import { imagingScenario } from './scenarios/imaging.js';
import { localFsScenario } from './scenarios/local-fs.js';
import { localMultipartScenario, multipartScenario } from './scenarios/multipart.js';
import { s3Scenario } from './scenarios/s3.js';
import { s3PathsScenario } from './scenarios/s3-paths.js';
import { scaledScenario } from './scenarios/scaled.js';
import { servingScenario } from './scenarios/serving.js';
import { streamingMemoryScenario } from './scenarios/streaming-memory.js';
import { syncScenario } from './scenarios/sync.js';

/** Every scenario, in the order they run (`--only` takes a comma-separated list of these). */
const SCENARIOS = [
  'local-fs',
  'streaming-memory',
  's3',
  's3-paths',
  'sync',
  'multipart',
  'multipart-local',
  'image',
  'imaging',
  'end-to-end',
  'serving',
  'scaled',
] as const;
type Scenario = (typeof SCENARIOS)[number];
const names: readonly string[] = SCENARIOS;
const USAGE = `usage: pnpm bench [--quick] [--only <scenario>[,<scenario>…]] [--out <results.json>]
  --out   write the results there, and the report (.md, .svg) beside it, instead of docs/performance.*
scenarios: ${SCENARIOS.join(', ')}`;

function parseCommandLine() {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== '--'),
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const values = parseCommandLine();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const quick = values.quick ?? false;
const only = values.only ? new Set(values.only.split(',')) : undefined;
const unknown = [...(only ?? [])].filter((name) => !names.includes(name));
if (unknown.length > 0) {
  console.error(`unknown scenario: ${unknown.join(', ')}\n${USAGE}`);
  process.exit(2);
}
const want = (name: Scenario) => !only || only.has(name);
// Committed with the report, so `--only` on a fresh clone merges into the last full results.
const resultsPath = path.resolve(repoRoot(), values.out ?? 'docs/performance.json');

const comparisons: Comparison[] = [];
const measurements: Measurement[] = [];
const started = Date.now();
const step = async <T>(name: Scenario, fn: () => Promise<T>): Promise<T | undefined> => {
  if (!want(name)) return undefined;
  log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${name}…`);
  return fn();
};

const localFs = await step('local-fs', () => localFsScenario(quick));
if (localFs) comparisons.push(...localFs);
const streaming = await step('streaming-memory', () => streamingMemoryScenario(quick));
if (streaming) measurements.push(...streaming);
const s3 = await step('s3', () => s3Scenario(quick));
if (s3) comparisons.push(...s3);
const s3Paths = await step('s3-paths', () => s3PathsScenario(quick));
if (s3Paths) comparisons.push(...s3Paths);
const sync = await step('sync', () => syncScenario(quick));
if (sync) comparisons.push(...sync);
const multipart = await step('multipart', () => multipartScenario(quick));
if (multipart) {
  comparisons.push(...multipart.comparisons);
  measurements.push(...multipart.measurements);
}
const multipartLocal = await step('multipart-local', () => localMultipartScenario(quick));
if (multipartLocal) comparisons.push(multipartLocal);
const image = await step('image', () => imageScenario(quick));
if (image) {
  comparisons.push(...image.comparisons);
  measurements.push(...image.measurements);
}
const imaging = await step('imaging', () => imagingScenario(quick));
if (imaging) {
  comparisons.push(...imaging.comparisons);
  measurements.push(...imaging.measurements);
}
// The end-to-end overhead is measured against processImage's direct rate: this run's, or the previous run's.
const directRate = async (): Promise<Record<number, number>> => {
  if (image) return image.directRate;
  const previous = JSON.parse(
    await readFile(resultsPath, 'utf8').catch(() => '{}'),
  ) as Partial<BenchResults>;
  const rates: Record<number, number> = {};
  for (const c of previous.comparisons ?? []) {
    const inFlight = /(\d+) in flight/.exec(c.case)?.[1];
    if (c.scenario === 'image' && inFlight) rates[Number(inFlight)] = c.ours.median;
  }
  return Object.keys(rates).length ? rates : { 1: 1 };
};
const e2e = await step('end-to-end', async () => endToEndScenario(quick, await directRate()));
if (e2e) measurements.push(...e2e);
const serving = await step('serving', () => servingScenario(quick));
if (serving) measurements.push(...serving);
const scaled = await step('scaled', () => scaledScenario(quick));
if (scaled) measurements.push(...scaled);

const root = repoRoot();
// With --only, keep the other scenarios of the previous run of the same kind (quick or full).
if (only) {
  const previous = JSON.parse(
    await readFile(resultsPath, 'utf8').catch(() => 'null'),
  ) as BenchResults | null;
  if (previous && previous.quick === quick) {
    comparisons.unshift(...previous.comparisons.filter((c) => !only.has(c.scenario)));
    measurements.unshift(...previous.measurements.filter((m) => !only.has(m.scenario)));
  }
}
const byScenario = <T extends { scenario: string }>(a: T, b: T) =>
  names.indexOf(a.scenario) - names.indexOf(b.scenario);
comparisons.sort(byScenario);
measurements.sort(byScenario);
const results: BenchResults = {
  date: new Date().toISOString(),
  quick,
  machine: machine(),
  comparisons,
  measurements,
};
process.stdout.write(`${renderTable(results)}\n`);
await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
// The report goes beside the results (docs/performance.md and .svg by default) and keeps its hand-written reading;
// only the generated part is replaced.
const reportBase = resultsPath.replace(/\.json$/, '');
const docPath = `${reportBase}.md`;
const svgPath = `${reportBase}.svg`;
const previous = await readFile(docPath, 'utf8').catch(() => '');
const reading = previous.includes('## Reading')
  ? previous.slice(previous.indexOf('## Reading') + '## Reading'.length).trim()
  : '_To be written after the first full run._';
await writeFile(docPath, renderMarkdown(results, reading));
await writeFile(svgPath, renderSvg(comparisons));
log(
  `wrote ${[resultsPath, docPath, svgPath].map((file) => path.relative(root, file)).join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)}s`,
);
