import { isStorageError } from '@monorepo/storage';
import type { ObjectInfo, StorageAdapter } from '@monorepo/storage';
import { forEachLimit } from './parallel.js';

const PAGE = 256;
const STATS_IN_FLIGHT = 16;

/**
 * Every object under `prefix` as `stat` reports it, page by page: stored content type, cache control and
 * metadata, its visibility and the modification time it keeps (what a copy must carry over). Objects deleted
 * between the listing and their `stat` are left out.
 */
export async function* listWithMetadata(
  storage: StorageAdapter,
  prefix: string,
): AsyncGenerator<ObjectInfo> {
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor ? { limit: PAGE, cursor } : { limit: PAGE });
    const infos: Array<ObjectInfo | undefined> = new Array(page.items.length);
    await forEachLimit(page.items.keys(), STATS_IN_FLIGHT, async (i) => {
      try {
        infos[i] = await storage.stat(page.items[i]!.key);
      } catch (error) {
        if (!isStorageError(error, 'ENOENT')) throw error;
      }
    });
    for (const info of infos) if (info) yield info;
    cursor = page.cursor;
  } while (cursor);
}
