import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeStorageAdapterContract } from '@monorepo/test-utils';
import { LocalStorageAdapter } from './local-storage-adapter.js';

describeStorageAdapterContract(
  'local',
  async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'storage-contract-'));
    return {
      adapter: new LocalStorageAdapter({
        type: 'local',
        baseUrl: 'http://test/static',
        localBasePath: dir,
      }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
  { keyPrefixConflicts: true, maxSegmentBytes: 255 },
);
