import type { MetricLabels, Monitoring } from '@monorepo/storage-core';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const MS_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/**
 * A {@link Monitoring} backed by prom-client. Metrics are created on first
 * use: `increment` → counter `<prefix><name>`, `timing` → histogram
 * `<prefix><name>` in milliseconds. Label names are fixed by the first call;
 * later calls fill missing labels with `""` and drop unknown ones.
 */
export class PrometheusMonitoring implements Monitoring {
  readonly registry: Registry;
  readonly #prefix: string;
  readonly #counters = new Map<string, { metric: Counter; names: string[] }>();
  readonly #histograms = new Map<string, { metric: Histogram; names: string[] }>();

  constructor(options: { prefix?: string; registry?: Registry; defaultMetrics?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    this.#prefix = options.prefix ?? '';
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: this.#prefix });
  }

  increment(name: string, labels: MetricLabels = {}, value = 1): void {
    const { metric, names } = this.#metric(
      this.#counters,
      name,
      labels,
      (labelNames) =>
        new Counter({
          name: this.#prefix + name,
          help: `${name} (counter)`,
          labelNames,
          registers: [this.registry],
        }),
    );
    metric.inc(this.#fit(names, labels), value);
  }

  timing(name: string, milliseconds: number, labels: MetricLabels = {}): void {
    const { metric, names } = this.#metric(
      this.#histograms,
      name,
      labels,
      (labelNames) =>
        new Histogram({
          name: this.#prefix + name,
          help: `${name} (milliseconds)`,
          labelNames,
          buckets: MS_BUCKETS,
          registers: [this.registry],
        }),
    );
    metric.observe(this.#fit(names, labels), milliseconds);
  }

  /** The metric registered under `name`, created on first use with the label names of that first call. */
  #metric<M>(
    registry: Map<string, { metric: M; names: string[] }>,
    name: string,
    labels: MetricLabels,
    create: (labelNames: string[]) => M,
  ): { metric: M; names: string[] } {
    let entry = registry.get(name);
    if (!entry) {
      const names = Object.keys(labels).sort();
      entry = { metric: create(names), names };
      registry.set(name, entry);
    }
    return entry;
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `Content-Type` of {@link metrics}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  #fit(names: string[], labels: MetricLabels): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    for (const name of names) out[name] = labels[name] ?? '';
    return out;
  }
}
