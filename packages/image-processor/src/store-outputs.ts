import type { Readable } from 'node:stream';
import type { StorageAdapter, Visibility } from '@monorepo/storage-core';

/** One output to store: bytes in memory, or a stream (opened when written) of a known length. */
export interface OutputWrite {
  key: string;
  data: Buffer | { stream: () => Readable; bytes: number };
  contentType: string;
}

/** Writes every output or none: on failure, removes what this call wrote. Then drops stale outputs of the job. */
export async function storeOutputs(
  storage: StorageAdapter,
  writes: readonly OutputWrite[],
  jobPrefix: string,
  options: {
    metadata: Record<string, string>;
    cacheControl: string;
    visibility: Visibility;
    signal?: AbortSignal;
  },
): Promise<void> {
  const { metadata, cacheControl, visibility, signal } = options;
  const results = await Promise.allSettled(
    writes.map((w) =>
      storage.upload(w.key, Buffer.isBuffer(w.data) ? w.data : w.data.stream(), w.contentType, {
        ...(Buffer.isBuffer(w.data) ? {} : { contentLength: w.data.bytes }),
        cacheControl,
        metadata,
        visibility,
        signal,
      }),
    ),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(writes.map((w) => storage.delete(w.key)));
    throw failed.reason;
  }
  // A retry after the presets or the source changed leaves older outputs: remove them.
  const keep = new Set(writes.map((w) => w.key));
  for await (const item of storage.listAll(jobPrefix)) {
    if (!keep.has(item.key)) await storage.delete(item.key).catch(() => {});
  }
}
