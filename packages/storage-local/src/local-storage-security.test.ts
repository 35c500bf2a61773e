import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { LocalStorageAdapter } from './local-storage-adapter.js';
import { useTempRoot } from '../test/test-helpers.js';

describe('the local adapter never leaves its root', () => {
  const temp = useTempRoot();
  let base: string;
  let outside: string;
  let storage: LocalStorageAdapter;

  beforeEach(async () => {
    const top = await temp.mkdir();
    base = path.join(top, 'base');
    outside = path.join(top, 'outside');
    await mkdir(base);
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'top secret');
    storage = new LocalStorageAdapter({ type: 'local', baseUrl: 'http://x', localBasePath: base });
  });

  const outsideUntouched = async () => {
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  };

  it('rejects traversal and absolute keys before any I/O', async () => {
    for (const key of [
      '../outside/secret.txt',
      'a/../../outside/secret.txt',
      '/etc/passwd',
      path.join(outside, 'secret.txt'),
    ]) {
      await expect(storage.download(key)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(storage.upload(key, 'pwned', 'text/plain')).rejects.toMatchObject({
        code: 'EINVAL',
      });
      await expect(storage.delete(key)).rejects.toMatchObject({ code: 'EINVAL' });
    }
    await outsideUntouched();
  });

  it('refuses a directory symlink that points outside', async () => {
    await symlink(outside, path.join(base, 'link'));
    await expect(storage.download('link/secret.txt')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(storage.downloadStream('link/secret.txt')).rejects.toMatchObject({
      code: 'EACCES',
    });
    await expect(storage.stat('link/secret.txt')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(storage.upload('link/new.txt', 'pwned', 'text/plain')).rejects.toMatchObject({
      code: 'EACCES',
    });
    await expect(
      storage.upload('link/deeper/new.txt', 'pwned', 'text/plain'),
    ).rejects.toMatchObject({ code: 'EACCES' });
    await expect(storage.delete('link/secret.txt')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(storage.copy('link/secret.txt', 'stolen.txt')).rejects.toMatchObject({
      code: 'EACCES',
    });
    await expect(storage.move('link/secret.txt', 'stolen.txt')).rejects.toMatchObject({
      code: 'EACCES',
    });
    await expect(storage.deletePrefix('link/')).resolves.toBe(0);
    expect(await storage.exists('link/secret.txt')).toBe(false);
    expect((await storage.list('')).items).toEqual([]);
    expect((await storage.list('link/')).items).toEqual([]);
    await outsideUntouched();
    expect(await storage.exists('stolen.txt')).toBe(false);
  });

  it('refuses a file symlink that points outside, and replacing it never writes through it', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(base, 'file-link'));
    await expect(storage.download('file-link')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(storage.downloadStream('file-link', { start: 0 })).rejects.toMatchObject({
      code: 'EACCES',
    });
    await expect(storage.stat('file-link')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(storage.copy('file-link', 'copy.txt')).rejects.toMatchObject({ code: 'EACCES' });
    expect(await storage.exists('file-link')).toBe(false);
    expect((await storage.list('')).items).toEqual([]);

    await storage.upload('file-link', 'replaced', 'text/plain');
    expect((await storage.download('file-link')).toString()).toBe('replaced');
    await outsideUntouched();
    await storage.delete('file-link');
    await outsideUntouched();
  });

  it('does not follow symlinks even when they stay inside the root', async () => {
    await storage.upload('real/a.txt', 'a', 'text/plain');
    await symlink(path.join(base, 'real'), path.join(base, 'alias'));
    await expect(storage.download('alias/a.txt')).rejects.toMatchObject({ code: 'EACCES' });
    expect((await storage.list('')).items.map((i) => i.key)).toEqual(['real/a.txt']);
  });

  it('works when the root itself is reached through a symlink', async () => {
    const linkedRoot = path.join(temp.root(), 'root-link');
    await symlink(base, linkedRoot);
    const viaLink = new LocalStorageAdapter({
      type: 'local',
      baseUrl: 'http://x',
      localBasePath: linkedRoot,
    });
    await viaLink.upload('ok/file.txt', 'fine', 'text/plain');
    expect((await storage.download('ok/file.txt')).toString()).toBe('fine');
  });
});
