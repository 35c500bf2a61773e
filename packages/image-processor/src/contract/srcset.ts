import type { StoredVariant } from './image-job.js';

/**
 * Per format, a `srcset` value: `<url> <width>w` for each distinct width, narrowest first (rebuild it after
 * replacing the variants' URLs, e.g. with signed ones).
 */
export function srcsets(variants: readonly StoredVariant[]): Record<string, string> {
  const byFormat = new Map<string, Map<number, string>>();
  for (const v of [...variants].sort((a, b) => a.width - b.width)) {
    const widths = byFormat.get(v.format) ?? new Map<number, string>();
    if (!widths.has(v.width)) widths.set(v.width, `${v.url} ${v.width}w`);
    byFormat.set(v.format, widths);
  }
  return Object.fromEntries(
    [...byFormat].map(([format, w]) => [format, [...w.values()].join(', ')]),
  );
}
