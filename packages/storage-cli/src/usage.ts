import { keyTool } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';

export interface UsageTotals {
  objects: number;
  bytes: number;
}

export interface UsageReport {
  total: UsageTotals;
  /** Per top-level folder (`uploads`, `generated`, `processed`, …). */
  byPrefix: Record<string, UsageTotals>;
  /** Per tool, from `processed/<tool>/…` and `generated/<tool>/…`. */
  byTool: Record<string, UsageTotals>;
}

const add = (map: Record<string, UsageTotals>, name: string, bytes: number) => {
  const entry = (map[name] ??= { objects: 0, bytes: 0 });
  entry.objects += 1;
  entry.bytes += bytes;
};

/** Counts objects and bytes under `prefix`, per top-level folder and per tool. */
export async function computeUsage(storage: StorageAdapter, prefix = ''): Promise<UsageReport> {
  const report: UsageReport = { total: { objects: 0, bytes: 0 }, byPrefix: {}, byTool: {} };
  for await (const item of storage.listAll(prefix)) {
    report.total.objects += 1;
    report.total.bytes += item.size;
    const slash = item.key.indexOf('/');
    add(report.byPrefix, slash >= 0 ? item.key.slice(0, slash) : '(root)', item.size);
    const tool = keyTool(item.key);
    if (tool) add(report.byTool, tool, item.size);
  }
  return report;
}
