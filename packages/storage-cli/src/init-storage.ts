import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LocalStorageConfig, S3StorageAdapter } from '@monorepo/storage';

/** Top-level folders of the storage layout. */
export const STORAGE_FOLDERS = ['uploads', 'generated', 'processed'] as const;

/** Prefixes the CDN serves to anyone: job outputs. Everything else (uploads/) needs a signature. */
export const PUBLIC_PREFIXES = ['processed/', 'generated/'] as const;

/** What {@link initS3Storage} found and did. */
export interface S3InitReport {
  createdBucket: boolean;
  /** Prefix → HTTP status of an anonymous GET of a probe object there (200 public, 403 private). */
  anonymousRead: Record<string, number>;
}

/** Creates the three folders of the layout under a local root. */
export async function initLocalStorage(config: LocalStorageConfig): Promise<void> {
  for (const dir of STORAGE_FOLDERS)
    await mkdir(path.join(config.localBasePath, dir), { recursive: true, mode: 0o755 });
}

/**
 * Creates the bucket if needed and sets its policy so that only {@link PUBLIC_PREFIXES} are anonymously
 * readable (the CDN fetches them without credentials; it signs everything else), then checks it: a probe object
 * in each public prefix must be readable anonymously and one under `uploads/` must be refused.
 *
 * @throws {Error} when the server does not enforce the policy as set (e.g. the whole bucket is public).
 */
export async function initS3Storage(storage: S3StorageAdapter): Promise<S3InitReport> {
  const createdBucket = await storage.ensureBucket();
  await storage.setPublicReadPrefixes(PUBLIC_PREFIXES);
  const anonymousRead: Record<string, number> = {};
  const probes = [...PUBLIC_PREFIXES, 'uploads/'].map((prefix) => ({
    prefix,
    key: `${prefix}.storage-init-probe`,
  }));
  try {
    for (const { prefix, key } of probes) {
      await storage.upload(key, 'probe', 'text/plain');
      const res = await fetch(storage.getBucketUrl(key), { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      anonymousRead[prefix] = res.status;
    }
  } finally {
    for (const { key } of probes) await storage.delete(key).catch(() => {});
  }
  const wrong = Object.entries(anonymousRead).filter(
    ([prefix, status]) =>
      (status === 200) !== (PUBLIC_PREFIXES as readonly string[]).includes(prefix),
  );
  if (wrong.length > 0)
    throw new Error(
      `bucket policy not in effect: anonymous reads answered ${wrong.map(([p, s]) => `${p} ${s}`).join(', ')} ` +
        `(want 200 for ${PUBLIC_PREFIXES.join(', ')} and 403 elsewhere)`,
    );
  return { createdBucket, anonymousRead };
}
