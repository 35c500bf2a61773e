import type { StorageAdapter } from '@monorepo/storage';

export interface CleanSummary {
  matched: number;
  deleted: number;
  bytes: number;
  failed: Array<{ key: string; error: string }>;
  dryRun: boolean;
}

/** Parses `30d`, `12h`, `45m`, `90s`, `2w` into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (!match) throw new Error(`Invalid duration ${JSON.stringify(text)}: use e.g. 30d, 12h, 45m`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[
    match[2] as 's' | 'm' | 'h' | 'd' | 'w'
  ];
  return Number(match[1]) * unit * 1000;
}

/** Deletes objects under `prefix` last modified before `cutoff` (the cleanup policy). */
export async function cleanOlderThan(
  storage: StorageAdapter,
  cutoff: Date,
  options: { prefix?: string; dryRun?: boolean; onItem?: (key: string) => void } = {},
): Promise<CleanSummary> {
  const summary: CleanSummary = {
    matched: 0,
    deleted: 0,
    bytes: 0,
    failed: [],
    dryRun: options.dryRun ?? false,
  };
  const doomed: Array<{ key: string; size: number }> = [];
  for await (const item of storage.listAll(options.prefix ?? '')) {
    if (item.lastModified < cutoff) doomed.push({ key: item.key, size: item.size });
  }
  summary.matched = doomed.length;
  for (const item of doomed) {
    options.onItem?.(item.key);
    if (summary.dryRun) continue;
    try {
      await storage.delete(item.key);
      summary.deleted += 1;
      summary.bytes += item.size;
    } catch (error) {
      summary.failed.push({ key: item.key, error: (error as Error).message });
    }
  }
  return summary;
}
