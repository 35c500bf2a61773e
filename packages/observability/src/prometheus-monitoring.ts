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
  readonly #counters = new Map<string, { metric: Counter; labels: string[] }>();
  readonly #histograms = new Map<string, { metric: Histogram; labels: string[] }>();

  constructor(options: { prefix?: string; registry?: Registry; defaultMetrics?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    this.#prefix = options.prefix ?? '';
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: this.#prefix });
  }

  increment(name: string, labels: MetricLabels = {}, value = 1): void {
    let entry = this.#counters.get(name);
    if (!entry) {
      const labelNames = Object.keys(labels).sort();
      entry = {
        labels: labelNames,
        metric: new Counter({
          name: this.#prefix + name,
          help: `${name} (counter)`,
          labelNames,
          registers: [this.registry],
        }),
      };
      this.#counters.set(name, entry);
    }
    entry.metric.inc(this.#fit(entry.labels, labels), value);
  }

  timing(name: string, milliseconds: number, labels: MetricLabels = {}): void {
    let entry = this.#histograms.get(name);
    if (!entry) {
      const labelNames = Object.keys(labels).sort();
      entry = {
        labels: labelNames,
        metric: new Histogram({
          name: this.#prefix + name,
          help: `${name} (milliseconds)`,
          labelNames,
          buckets: MS_BUCKETS,
          registers: [this.registry],
        }),
      };
      this.#histograms.set(name, entry);
    }
    entry.metric.observe(this.#fit(entry.labels, labels), milliseconds);
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
