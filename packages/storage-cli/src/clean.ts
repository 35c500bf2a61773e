import type { StorageAdapter } from '@monorepo/storage';
import { forEachLimit } from './parallel.js';

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

/**
 * Deletes objects under `prefix` last modified before `cutoff` (the cleanup policy). A copy keeps its source's
 * modification time where the backend can (`capabilities.modificationTime`); on stores whose plain listing
 * shows only the time of the write (S3), objects listed as newer are checked with `stat`, so a restored or
 * migrated object ages from its original date.
 */
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
  const recent: string[] = [];
  const keptInMetadata = storage.capabilities.modificationTime && storage.backend !== 'local';
  for await (const item of storage.listAll(options.prefix ?? '')) {
    if (item.lastModified < cutoff) doomed.push({ key: item.key, size: item.size });
    else if (keptInMetadata) recent.push(item.key);
  }
  await forEachLimit(recent, 16, async (key) => {
    const info = await storage.stat(key).catch(() => undefined);
    if (info && info.lastModified < cutoff) doomed.push({ key, size: info.size });
  });
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
