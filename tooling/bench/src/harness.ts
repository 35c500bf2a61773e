/** Summary statistics of one side of a comparison. */
export interface Stats {
  /** Median throughput in the scenario's unit per second. */
  median: number;
  p10: number;
  p90: number;
  samples: number[];
}

export interface Comparison {
  scenario: string;
  case: string;
  unit: string;
  raw: Stats;
  ours: Stats;
  /** ours / raw of the medians (higher is better). */
  ratio: number;
  /** The ratio we hold ourselves to, if any. */
  target?: number;
  /** Extra facts (absolute MB/s, seed figures, peaks…). */
  notes?: Record<string, string | number>;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), samples };
}

/**
 * Times `raw` and `ours` alternately (A B A B …) after warm-up, so drift in
 * the machine affects both alike. Each round runs `work` operations; the
 * sample is `work × unitsPerOp / seconds`.
 */
export async function compare(options: {
  scenario: string;
  case: string;
  unit: string;
  rounds: number;
  warmup?: number;
  work?: number;
  unitsPerOp?: number;
  target?: number;
  raw: () => Promise<unknown>;
  ours: () => Promise<unknown>;
  notes?: Record<string, string | number>;
}): Promise<Comparison> {
  const work = options.work ?? 1;
  const unitsPerOp = options.unitsPerOp ?? 1;
  const time = async (fn: () => Promise<unknown>) => {
    // Each side starts on a clean heap: otherwise one pays for collecting the other's garbage (with 1 MiB buffers,
    // a raw-vs-raw comparison of 80 reads came out anywhere from 0.45 to 0.89).
    (globalThis as { gc?: () => void }).gc?.();
    const started = performance.now();
    for (let i = 0; i < work; i++) await fn();
    return (work * unitsPerOp) / ((performance.now() - started) / 1000);
  };
  for (let i = 0; i < (options.warmup ?? 1); i++) {
    await time(options.raw);
    await time(options.ours);
  }
  const raw: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    // Alternate which side goes first, too.
    if (i % 2 === 0) {
      raw.push(await time(options.raw));
      ours.push(await time(options.ours));
    } else {
      ours.push(await time(options.ours));
      raw.push(await time(options.raw));
    }
  }
  const rawStats = stats(raw);
  const oursStats = stats(ours);
  return {
    scenario: options.scenario,
    case: options.case,
    unit: options.unit,
    raw: rawStats,
    ours: oursStats,
    ratio: oursStats.median / rawStats.median,
    ...(options.target !== undefined ? { target: options.target } : {}),
    ...(options.notes ? { notes: options.notes } : {}),
  };
}

/** A measurement that is not a ratio against a raw library (peaks, latencies, absolute rates). */
export interface Measurement {
  scenario: string;
  name: string;
  value: number;
  unit: string;
  /** Pass/fail bound, and which side of it is good. */
  limit?: { value: number; better: 'below' | 'above' };
  notes?: Record<string, string | number>;
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Stack settings for a benchmark of one key: its per-key limits (quota, rate, slots, pending jobs) are lifted. */
export const ONE_KEY_BENCH_ENV: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'warn',
  API_RATE_LIMIT: '100000000',
  API_MAX_CONCURRENT_UPLOADS: '4096',
  API_MAX_PENDING_JOBS: '100000',
};
