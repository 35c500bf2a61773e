import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loggableUrl } from './create-logger.js';
import { PrometheusMonitoring } from './prometheus-monitoring.js';

describe('createLogger', () => {
  it('writes JSON lines and never secrets', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger('test', { destination });
    logger.info(
      {
        req: { headers: { authorization: 'Bearer sk-live-123' } },
        config: { s3: { secretAccessKey: 'hunter2' } },
      },
      'hello',
    );
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', service: 'test', msg: 'hello' });
    expect(lines.join('')).not.toContain('sk-live-123');
    expect(lines.join('')).not.toContain('hunter2');
  });

  it('logs URLs without their query strings', () => {
    expect(loggableUrl('https://cdn.ai.test/img.png?X-Amz-Signature=abc&token=t')).toBe(
      'https://cdn.ai.test/img.png',
    );
  });
});

describe('PrometheusMonitoring', () => {
  it('exposes counters and millisecond histograms with labels', async () => {
    const monitoring = new PrometheusMonitoring({ prefix: 'test_', defaultMetrics: false });
    monitoring.increment('jobs_total', { outcome: 'completed' });
    monitoring.increment('jobs_total', { outcome: 'completed' }, 2);
    monitoring.timing('stage_ms', 42, { stage: 'decode', variant: '' });
    monitoring.timing('stage_ms', 7, { stage: 'encode', variant: 'normal', extra: 'dropped' });
    const text = await monitoring.metrics();
    expect(text).toContain('test_jobs_total{outcome="completed"} 3');
    expect(text).toContain('test_stage_ms_count{stage="decode",variant=""} 1');
    expect(text).toContain('test_stage_ms_bucket{le="10",stage="encode",variant="normal"} 1');
    expect(text).not.toContain('dropped');
  });
});
