import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeStorageAdapterContract, startPartGateway } from '@monorepo/test-utils';
import type { PartGateway } from '@monorepo/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { LocalStorageAdapter } from './local-storage-adapter.js';

const NOBODY = 65534;

// Part URLs of multipart uploads point at the application, which hands each PUT to the adapter: a stand-in here.
let gateway: PartGateway;
let current: LocalStorageAdapter;
beforeAll(async () => {
  gateway = await startPartGateway(() => current);
});
afterAll(() => gateway.close());

describeStorageAdapterContract(
  'local',
  async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'storage-contract-'));
    const config = {
      type: 'local' as const,
      baseUrl: 'http://test/static',
      localBasePath: dir,
      multipartParts: { url: gateway.url, secret: randomBytes(32).toString('hex') },
    };
    current = new LocalStorageAdapter(config);
    return {
      adapter: current,
      cleanup: () => rm(dir, { recursive: true, force: true }),
      // What a writer killed mid-upload leaves: a temporary file beside where the object would go.
      leaveIncomplete: async () => {
        await mkdir(path.join(dir, 'sweep'), { recursive: true });
        await writeFile(
          path.join(dir, 'sweep', `.~tmp\\${randomBytes(12).toString('hex')}`),
          'partial',
        );
      },
      // An unreadable root; as root (who bypasses permission bits) the calls run with the effective uid of nobody.
      withoutPermission: async (use) => {
        await chmod(dir, 0o700);
        const asRoot = process.geteuid?.() === 0;
        if (!asRoot) await chmod(dir, 0);
        if (asRoot) process.seteuid!(NOBODY);
        try {
          return await use(new LocalStorageAdapter(config));
        } finally {
          if (asRoot) process.seteuid!(0);
          await chmod(dir, 0o755);
        }
      },
    };
  },
  // The part URLs (the only signed URLs of this backend) are served by the stand-in above.
  { fetchSignedUrls: true },
);
