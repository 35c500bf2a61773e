// `make start` until the API and worker land: the seed's basic example against ./.data/storage.
import path from 'node:path';
import { LocalStorageAdapter } from '../../packages/storage-local/dist/index.js';

const root = path.resolve(process.env.STORAGE_LOCAL_PATH ?? './.data/storage');
const storage = new LocalStorageAdapter({
  type: 'local',
  baseUrl: process.env.STORAGE_BASE_URL ?? 'http://localhost:8080/static',
  localBasePath: root,
});

const url = await storage.upload(
  'uploads/demo/hello.txt',
  Buffer.from('Hello, World!'),
  'text/plain',
);
console.log('Uploaded to:', url);
console.log('Downloaded:', (await storage.download('uploads/demo/hello.txt')).toString());
console.log('Exists:', await storage.exists('uploads/demo/hello.txt'));
console.log('Stat:', await storage.stat('uploads/demo/hello.txt'));
console.log(`Files live under ${root}`);
