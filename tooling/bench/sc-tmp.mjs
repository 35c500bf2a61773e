import { open, mkdir, mkdtemp, rename, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import os from 'node:os'; import path from 'node:path'; import { randomBytes } from 'node:crypto';
import { LocalStorageAdapter } from '@monorepo/storage';
const root = await mkdtemp(path.join(os.tmpdir(), 'sc-'));
const data = randomBytes(1024);
const rawDir = path.join(root, 'raw', 'dir'); await mkdir(rawDir, { recursive: true });
const storage = new LocalStorageAdapter({ type: 'local', baseUrl: 'http://x', localBasePath: path.join(root, 'ours'), fsync: process.argv[3] !== 'nosync' });
async function rawWrite(name) {
  const tmp = path.join(rawDir, `.tmp-${randomBytes(6).toString('hex')}`);
  const h = await open(tmp, 'wx', 0o644); try { await h.writeFile(data); if (process.argv[3] !== 'nosync') await h.sync(); } finally { await h.close(); }
  await rename(tmp, path.join(rawDir, name));
  if (process.argv[3] === 'nosync') return;
  const d = await open(rawDir, constants.O_RDONLY | constants.O_DIRECTORY); await d.sync(); await d.close();
}
await storage.upload('dir/warm.bin', data, 'application/octet-stream'); await rawWrite('warm.bin');
const which = process.argv[2];
for (let i = 0; i < 100; i++) {
  if (which === 'raw') await rawWrite(`f-${i % 16}.bin`);
  else if (which === 'ours') await storage.upload(`dir/f-${i % 16}.bin`, data, 'application/octet-stream');
  else if (which === 'rawdl') await readFile(path.join(rawDir, 'warm.bin'));
  else await storage.download('dir/warm.bin');
}
