import { KEY_LAYOUT, defaultVisibility } from '@monorepo/storage';
import type { StorageAdapter, Visibility } from '@monorepo/storage';

/** What {@link initStorage} found and did. */
export interface InitReport {
  /** The root directory or bucket was created by this call. */
  created: boolean;
  /**
   * With `capabilities.publicReadPolicy`: probe → HTTP status of an anonymous GET of it at the store itself
   * (200 public, 403 private): one object per folder at its default visibility, one private under `processed/`
   * and one public under `uploads/`. Absent on backends served only through the CDN.
   */
  anonymousRead?: Record<string, number>;
}

/**
 * Prepares a backend for the layout: the folders (`uploads`, `generated`, `processed`) where folders exist;
 * where the store serves reads itself (S3), a policy that lets anyone read public objects and nobody private
 * ones (the CDN fetches anonymously and passes signed requests through), then checks it with probe objects of
 * each kind. `corsOrigins`: web origins whose pages may upload straight to the bucket (CORS), replacing those
 * allowed before; `addCorsOrigins`: origins allowed in addition to them.
 *
 * @throws {Error} when the server does not enforce the policy as set (e.g. the whole bucket is public).
 */
export async function initStorage(
  storage: StorageAdapter,
  options: { corsOrigins?: readonly string[]; addCorsOrigins?: readonly string[] } = {},
): Promise<InitReport> {
  const publicRead = storage.capabilities.publicReadPolicy;
  const { created } = await storage.provision({
    folders: KEY_LAYOUT.folders,
    ...(publicRead ? { publicRead: true } : {}),
    ...(publicRead && options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    ...(publicRead && options.addCorsOrigins ? { addCorsOrigins: options.addCorsOrigins } : {}),
  });
  if (!publicRead || !storage.getOriginUrl) return { created };
  const originUrl = storage.getOriginUrl.bind(storage);
  const anonymousRead: Record<string, number> = {};
  // Each folder at its default visibility, then the other way round: objects made private under a public
  // prefix, and public under a private one.
  const probes = [
    ...[...KEY_LAYOUT.publicPrefixes, ...KEY_LAYOUT.privatePrefixes].map((prefix) => ({
      label: prefix,
      key: `${prefix}.storage-init-probe`,
      visibility: defaultVisibility(prefix),
    })),
    ...[KEY_LAYOUT.publicPrefixes[0], KEY_LAYOUT.privatePrefixes[0]].map((prefix) => {
      const visibility: Visibility = defaultVisibility(prefix) === 'public' ? 'private' : 'public';
      return {
        label: `${prefix} (${visibility})`,
        key: `${prefix}.storage-init-probe-${visibility}`,
        visibility,
      };
    }),
  ];
  try {
    for (const { label, key, visibility } of probes) {
      await storage.upload(key, 'probe', 'text/plain', { visibility });
      const res = await fetch(originUrl(key), { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      anonymousRead[label] = res.status;
    }
  } finally {
    for (const { key } of probes) await storage.delete(key).catch(() => {});
  }
  const wrong = probes.filter(
    ({ label, visibility }) => (anonymousRead[label] === 200) !== (visibility === 'public'),
  );
  if (wrong.length > 0)
    throw new Error(
      `bucket policy not in effect: anonymous reads answered ${wrong.map(({ label }) => `${label} ${anonymousRead[label]}`).join(', ')} ` +
        `(want 200 for public objects and 403 for private ones)`,
    );
  return { created, anonymousRead };
}
