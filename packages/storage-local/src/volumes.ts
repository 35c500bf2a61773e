import { lstat, mkdir, open, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StorageUnavailableError } from '@monorepo/storage-core';
import { errnoCode, mapFsError } from './fs-errors.js';
import type { LocalFiles } from './local-files.js';
import type { LocalStorageConfig } from './local-storage-config.js';
import { tempName } from './reserved-names.js';

const BACKEND = 'local';

/**
 * The health check of a local root: the root and each configured folder present (a mounted volume of its own when
 * `requireMounts`) and writable, proven by creating and removing a temp file in each.
 */
export async function checkVolumes(
  files: LocalFiles,
  folders: readonly string[] | undefined,
  requireMounts: boolean,
): Promise<void> {
  const ctx = { operation: 'checkHealth' as const, backend: BACKEND };
  const root = await files.root.root();
  const rootDev = (await stat(root)).dev;
  for (const folder of folders ?? ['']) {
    const dir = path.join(root, folder);
    try {
      const info = await lstat(dir);
      if (!info.isDirectory())
        throw new StorageUnavailableError(`Storage folder ${folder}/ is missing`, ctx);
      if (requireMounts && info.dev === rootDev)
        throw new StorageUnavailableError(
          `Storage folder ${folder}/ is not a mounted volume (it lies on the root's filesystem)`,
          ctx,
        );
      const probe = path.join(dir, tempName());
      await (await open(probe, 'wx', files.fileMode)).close();
      await unlink(probe);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT')
        throw new StorageUnavailableError(`Storage folder ${folder || '.'}/ is missing`, {
          ...ctx,
          cause: error,
        });
      throw mapFsError(error, 'checkHealth', folder);
    }
  }
}

/** Creates the root (reporting whether it was missing) and each of `folders` under it, following no link. */
export async function provisionRoot(
  files: LocalFiles,
  config: Pick<LocalStorageConfig, 'localBasePath' | 'dirMode'>,
  folders: readonly string[],
): Promise<{ created: boolean }> {
  const base = path.resolve(config.localBasePath);
  try {
    const made = await mkdir(base, { recursive: true, mode: config.dirMode ?? 0o755 });
    const root = await files.root.root();
    for (const folder of folders)
      await files.root.directory(root, folder.split('/'), folder, 'provision', true);
    return { created: made !== undefined };
  } catch (error) {
    throw mapFsError(error, 'provision', '');
  }
}
