import type { PrometheusMonitoring } from '@monorepo/observability';
import { Counter, Gauge, Histogram } from 'prom-client';

/** The imaging service's own metrics (`imaging_*`), beside the storage and process ones. */
export class ImagingMetrics {
  readonly renders: Counter<'format'>;
  readonly hits: Counter;
  readonly misses: Counter;
  readonly coalesced: Counter;
  readonly sourceReads: Counter;
  readonly failures: Counter<'code'>;
  readonly renderSeconds: Histogram<'format'>;

  constructor(monitoring: PrometheusMonitoring, state: () => { active: number; queued: number }) {
    const registers = [monitoring.registry];
    this.renders = new Counter({
      name: 'imaging_renders_total',
      help: 'Renders made (each one decode of a source), by output format',
      labelNames: ['format'],
      registers,
    });
    this.hits = new Counter({
      name: 'imaging_cache_hits_total',
      help: 'Requests answered from derived/ without rendering',
      registers,
    });
    this.misses = new Counter({
      name: 'imaging_cache_misses_total',
      help: 'Requests that found no render in derived/',
      registers,
    });
    this.coalesced = new Counter({
      name: 'imaging_coalesced_waits_total',
      help: 'Requests that waited for the same render in another request or process',
      registers,
    });
    this.sourceReads = new Counter({
      name: 'imaging_source_reads_total',
      help: 'Sources read from storage or fetched',
      registers,
    });
    this.failures = new Counter({
      name: 'imaging_failures_total',
      help: 'Requests refused or failed, by error code',
      labelNames: ['code'],
      registers,
    });
    this.renderSeconds = new Histogram({
      name: 'imaging_render_seconds',
      help: 'Decode, transform and encode time of one render, by output format',
      labelNames: ['format'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: 'imaging_render_slots',
      help: 'Render slots in use and renders waiting for one, in this process',
      labelNames: ['state'],
      registers,
      collect() {
        const { active, queued } = state();
        this.set({ state: 'active' }, active);
        this.set({ state: 'queued' }, queued);
      },
    });
  }
}
