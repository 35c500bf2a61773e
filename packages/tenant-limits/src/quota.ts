import bytes from 'bytes';

/** One user's storage quota under `uploads/<user>/`. */
export interface Quota {
  /** Total bytes stored. */
  bytes: number;
  /** Number of objects stored. */
  objects: number;
}

/** Parses a size such as `10GB`, `512MiB` or `1048576` into bytes (binary units: 1 GB = 1024³). */
export function parseSize(text: string): number {
  const value = bytes.parse(text.trim().replace(/iB$/i, 'B'));
  if (value === null || !Number.isFinite(value) || value < 0)
    throw new Error(`not a size: ${JSON.stringify(text)} (e.g. 10GB, 512MB, 1048576)`);
  return Math.floor(value);
}

/**
 * Per-user quotas from a default and an override list `user=SIZE[/OBJECTS],…`, e.g.
 * `team-a=50GB/200000,team-b=1GB`. Unlisted users get the default; an override without `/OBJECTS` keeps the
 * default object count.
 *
 * @throws {Error} naming the malformed entry.
 */
export function parseQuotas(defaults: Quota, overrides = ''): (user: string) => Quota {
  const table = new Map<string, Quota>();
  for (const entry of overrides
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9_-]{1,128})=([^/]+)(?:\/(\d+))?$/.exec(entry);
    if (!match) throw new Error(`quota override ${JSON.stringify(entry)}: use user=SIZE[/OBJECTS]`);
    table.set(match[1]!, {
      bytes: parseSize(match[2]!),
      objects: match[3] === undefined ? defaults.objects : Number(match[3]),
    });
  }
  return (user) => table.get(user) ?? defaults;
}
