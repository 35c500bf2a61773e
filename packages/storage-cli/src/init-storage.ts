import { KEY_LAYOUT } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';

/** What {@link initStorage} found and did. */
export interface InitReport {
  /** The root directory or bucket was created by this call. */
  created: boolean;
  /**
   * With `capabilities.publicReadPolicy`: prefix → HTTP status of an anonymous GET of a probe object there at
   * the store itself (200 public, 403 private). Absent on backends served only through the CDN.
   */
  anonymousRead?: Record<string, number>;
}

/**
 * Prepares a backend for the layout: the folders (`uploads`, `generated`, `processed`) where folders exist;
 * where the store serves reads itself (S3), a policy that makes only the layout's public prefixes anonymously
 * readable (the CDN fetches them without credentials; it signs everything else), then checks it: a probe
 * object in each public prefix must be readable anonymously and one under `uploads/` must be refused.
 *
 * @throws {Error} when the server does not enforce the policy as set (e.g. the whole bucket is public).
 */
export async function initStorage(storage: StorageAdapter): Promise<InitReport> {
  const publicRead = storage.capabilities.publicReadPolicy;
  const { created } = await storage.provision({
    folders: KEY_LAYOUT.folders,
    ...(publicRead ? { publicPrefixes: KEY_LAYOUT.publicPrefixes } : {}),
  });
  if (!publicRead || !storage.getOriginUrl) return { created };
  const originUrl = storage.getOriginUrl.bind(storage);
  const anonymousRead: Record<string, number> = {};
  const probes = [...KEY_LAYOUT.publicPrefixes, ...KEY_LAYOUT.privatePrefixes].map((prefix) => ({
    prefix,
    key: `${prefix}.storage-init-probe`,
  }));
  try {
    for (const { prefix, key } of probes) {
      await storage.upload(key, 'probe', 'text/plain');
      const res = await fetch(originUrl(key), { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      anonymousRead[prefix] = res.status;
    }
  } finally {
    for (const { key } of probes) await storage.delete(key).catch(() => {});
  }
  const isPublic = (prefix: string) =>
    (KEY_LAYOUT.publicPrefixes as readonly string[]).includes(prefix);
  const wrong = Object.entries(anonymousRead).filter(
    ([prefix, status]) => (status === 200) !== isPublic(prefix),
  );
  if (wrong.length > 0)
    throw new Error(
      `bucket policy not in effect: anonymous reads answered ${wrong.map(([p, s]) => `${p} ${s}`).join(', ')} ` +
        `(want 200 for ${KEY_LAYOUT.publicPrefixes.join(', ')} and 403 elsewhere)`,
    );
  return { created, anonymousRead };
}
