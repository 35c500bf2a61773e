import type { ObjectInfo, StorageAdapter } from '@monorepo/storage';

/** Every object under `prefix` with its stored content type and metadata, page by page. */
export async function* listWithMetadata(
  storage: StorageAdapter,
  prefix: string,
): AsyncGenerator<ObjectInfo> {
  let cursor: string | undefined;
  do {
    const page = await storage.list(
      prefix,
      cursor ? { metadata: true, cursor } : { metadata: true },
    );
    yield* page.items;
    cursor = page.cursor;
  } while (cursor);
}
