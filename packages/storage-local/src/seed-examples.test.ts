// The design document's local-storage examples, run as written (imports adapted to the packages).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStorageAdapter } from './index.js';

describe('seed: Basic Upload/Download and With Temporary Local Storage', () => {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-test-'));

  const storage = new LocalStorageAdapter({
    type: 'local',
    baseUrl: 'http://test/static',
    localBasePath: tmpDir,
  });

  // Clean up after tests
  afterAll(() => {
    fs.rmSync(tmpDir, { recursive: true });
  });

  it('runs the basic example', async () => {
    const logs: unknown[][] = [];
    const console = { log: (...args: unknown[]) => logs.push(args) };

    // Upload
    const buffer = Buffer.from('Hello, World!');
    const url = await storage.upload('test/file.txt', buffer, 'text/plain');
    console.log('Uploaded to:', url);

    // Download
    const downloaded = await storage.download('test/file.txt');
    console.log('Downloaded:', downloaded.toString());

    // Check existence
    const exists = await storage.exists('test/file.txt');
    console.log('Exists:', exists);

    // Delete
    await storage.delete('test/file.txt');

    expect(logs).toEqual([
      ['Uploaded to:', 'http://test/static/test/file.txt'],
      ['Downloaded:', 'Hello, World!'],
      ['Exists:', true],
    ]);
    expect(fs.existsSync(path.join(tmpDir, 'test', 'file.txt'))).toBe(false);
  });

  it('raises the documented error codes', async () => {
    try {
      await storage.download('test/missing.txt');
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code === 'ENOENT').toBe(true);
    }
  });
});
