import os from 'node:os';
import sharp from 'sharp';

/** Process-wide libvips settings. */
export interface SharpSettings {
  /** libvips threads per image (default: 1 on glibc without jemalloc, else cores). */
  concurrency?: number;
  /** libvips operation cache in MB; 0 disables it (default 50). */
  cacheMemoryMb?: number;
}

/**
 * Sets sharp's process-wide knobs once, at worker start-up. With many jobs in
 * flight, one libvips thread per image and parallel jobs use the cores best;
 * glibc's allocator fragments under libvips (sharp #1041), so run workers
 * with `LD_PRELOAD=libjemalloc.so.2` or `MALLOC_ARENA_MAX=2`.
 */
export function configureSharp(settings: SharpSettings = {}): {
  concurrency: number;
  cacheMemoryMb: number;
} {
  const cacheMemoryMb = settings.cacheMemoryMb ?? 50;
  sharp.cache(cacheMemoryMb > 0 ? { memory: cacheMemoryMb, files: 0, items: 100 } : false);
  const concurrency = sharp.concurrency(
    settings.concurrency ?? (sharp.concurrency() || os.availableParallelism()),
  );
  return { concurrency, cacheMemoryMb };
}
