import { Disk } from '@monorepo/storage-core';
import type { DiskOptions } from '@monorepo/storage-core';
import type { LocalStorageConfig } from './local-storage-config.js';
import { LocalStorageDriver } from './local-storage-driver.js';

/**
 * Stores objects as plain files under `localBasePath`, so a static web server
 * rooted there serves them as they are.
 *
 * - Writes go to a hidden temporary file that is renamed into place, so a key
 *   holds the old or the new complete content, even across a crash.
 * - Content type, cache control and metadata live in hidden sidecar files tied
 *   to the exact file version they describe.
 * - No symbolic link below the root is followed.
 *
 * Keys and options are validated, errors typed and operations measured by the {@link Disk} it extends.
 */
export class LocalStorageAdapter extends Disk {
  constructor(config: LocalStorageConfig, options: DiskOptions = {}) {
    super(new LocalStorageDriver(config), options);
  }
}
