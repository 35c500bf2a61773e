import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalStorageAdapter } from '@monorepo/storage-local';
import { afterAll, beforeAll } from 'vitest';

/** A local storage in a fresh temp directory for this test file, removed afterwards. */
export function useLocalStorage(name: string): {
  root: () => string;
  storage: () => LocalStorageAdapter;
} {
  let root: string;
  let storage: LocalStorageAdapter;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), `${name}-`));
    storage = new LocalStorageAdapter({
      type: 'local',
      baseUrl: 'http://cdn.test/static',
      localBasePath: root,
    });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return { root: () => root, storage: () => storage };
}
