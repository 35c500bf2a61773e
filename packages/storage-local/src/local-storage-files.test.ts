import { existsSync, watch } from 'node:fs';
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { allFiles, useTempRoot } from '../test/test-helpers.js';

/** Resolves when `file` is gone, woken by its directory's change events; rejects if that takes over 5 s. */
function removal(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      watcher.close();
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const watcher = watch(path.dirname(file), () => {
      if (!existsSync(file)) done();
    });
    const timer = setTimeout(() => done(new Error(`${file} was not removed within 5 s`)), 5_000);
  });
}

describe('local adapter on-disk layout', () => {
  const temp = useTempRoot();
  beforeEach(temp.mkdir);

  it('stores the bytes as a plain file a static server can serve, metadata hidden', async () => {
    const storage = temp.adapter();
    await storage.upload(
      'processed/dall-e/user-1/job-1/normal-1.jpg',
      Buffer.from('jpeg'),
      'image/jpeg',
      {
        metadata: { job: 'job-1' },
        cacheControl: 'public, max-age=31536000, immutable',
      },
    );
    const files = await allFiles(temp.root());
    const visible = files.filter((f) => !path.basename(f).startsWith('.'));
    expect(visible).toEqual([path.join('processed', 'dall-e', 'user-1', 'job-1', 'normal-1.jpg')]);
    expect(files.length).toBe(2); // the data file and one hidden sidecar
    const info = await stat(path.join(temp.root(), visible[0]!));
    expect(info.mode & 0o777).toBe(0o644);
    expect((await stat(path.join(temp.root(), 'processed'))).mode & 0o755).toBe(0o755);
  });

  it('keeps attributes across a restart (a new adapter instance)', async () => {
    await temp.adapter().upload('a/b.dat', 'x', 'application/vnd.custom', {
      metadata: { k: 'v' },
      cacheControl: 'no-store',
    });
    expect(await temp.adapter().stat('a/b.dat')).toMatchObject({
      contentType: 'application/vnd.custom',
      metadata: { k: 'v' },
      cacheControl: 'no-store',
    });
  });

  it('writes no sidecar when the attributes are the defaults for the extension', async () => {
    await temp.adapter().upload('plain/photo.png', 'x', 'image/png');
    expect(await allFiles(temp.root())).toEqual([path.join('plain', 'photo.png')]);
    expect((await temp.adapter().stat('plain/photo.png')).contentType).toBe('image/png');
  });

  it('never pairs a sidecar with another version of the file', async () => {
    const storage = temp.adapter();
    await storage.upload('v/file.bin', 'version one', 'text/x-one', { metadata: { v: '1' } });
    // Replace the data behind the adapter's back, keeping the old sidecar.
    await writeFile(path.join(temp.root(), 'v', 'file.bin'), 'changed elsewhere');
    expect(await storage.stat('v/file.bin')).toMatchObject({
      contentType: 'application/octet-stream',
      metadata: {},
    });
  });

  it('prunes empty directories after delete, move and deletePrefix', async () => {
    const storage = temp.adapter();
    await storage.upload('d/e/f/one.txt', '1', 'text/plain', { metadata: { a: 'b' } });
    await storage.upload('m/n/two.txt', '2', 'text/plain');
    await storage.upload('p/q/r/three.txt', '3', 'text/plain');
    await storage.delete('d/e/f/one.txt');
    await storage.move('m/n/two.txt', 'moved.txt');
    await storage.deletePrefix('p/');
    expect(await readdir(temp.root())).toEqual(['moved.txt']);
  });

  it('removes stale temp files met while listing, keeps fresh ones', async () => {
    const storage = temp.adapter({ staleTempAfterMs: 60_000 });
    await storage.upload('t/keep.txt', 'k', 'text/plain');
    const stale = path.join(temp.root(), 't', '.~tmp\\deadbeef');
    const fresh = path.join(temp.root(), 't', '.~tmp\\cafebabe');
    await writeFile(stale, 'partial');
    await writeFile(fresh, 'in progress');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(stale, old, old);
    const staleRemoved = removal(stale);
    expect((await storage.list('t/')).items.map((i) => i.key)).toEqual(['t/keep.txt']);
    await staleRemoved; // the listing removes it in the background
    expect((await readdir(path.join(temp.root(), 't'))).sort()).toEqual([
      '.~tmp\\cafebabe',
      'keep.txt',
    ]);
  });

  it('sweeps orphaned sidecars', async () => {
    const storage = temp.adapter();
    await storage.upload('s/a.txt', 'a', 'text/x-a', { metadata: { x: 'y' } });
    await storage.upload('s/b.txt', 'b', 'text/x-b', { metadata: { x: 'y' } });
    // Lose a data file without the adapter (e.g. deleted by hand).
    await import('node:fs/promises').then((fs) => fs.unlink(path.join(temp.root(), 's', 'a.txt')));
    expect(await storage.sweepIncomplete()).toBe(1);
    expect((await allFiles(temp.root())).filter((f) => !path.basename(f).startsWith('.'))).toEqual([
      path.join('s', 'b.txt'),
    ]);
    expect((await allFiles(temp.root())).length).toBe(2);
  });

  it('reports a key used as a directory by the filesystem as EINVAL, and a file used as a directory as ENOENT', async () => {
    const storage = temp.adapter();
    await mkdir(path.join(temp.root(), 'dir'), { recursive: true });
    await writeFile(path.join(temp.root(), 'dir', 'x'), 'x');
    await expect(storage.upload('dir', 'y', 'text/plain')).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await storage.upload('file', 'f', 'text/plain');
    await expect(storage.download('file/below')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(storage.upload('file/below', 'z', 'text/plain')).rejects.toMatchObject({
      code: 'EINVAL',
    });
  });

  it('a failed or refused overwrite leaves the object its visibility; a done one sets it', async () => {
    const storage = temp.adapter();
    const key = 'uploads/u1/made-public.txt';
    await storage.upload(key, 'old', 'text/plain');
    await storage.setVisibility(key, 'public');
    const failing = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.upload(key, failing, 'text/plain')).rejects.toThrow('client went away');
    await expect(
      storage.upload(key, 'other', 'text/plain', { ifNotExists: true }),
    ).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await storage.stat(key)).toMatchObject({ visibility: 'public', size: 3 });
    await storage.upload(key, 'new', 'text/plain');
    expect(await storage.stat(key)).toMatchObject({ visibility: 'private', size: 3 });
    const output = 'processed/t/u1/j1/made-private.txt';
    await storage.upload(output, 'x', 'text/plain', { visibility: 'private' });
    expect((await storage.stat(output)).visibility).toBe('private');
    await storage.upload(output, 'y', 'text/plain');
    expect((await storage.stat(output)).visibility).toBe('public');
    await expect(
      storage.upload(output, 'z', 'text/plain', { visibility: 'private', ifNotExists: true }),
    ).rejects.toMatchObject({ code: 'EEXIST' });
    expect((await storage.stat(output)).visibility).toBe('public');
    // No marker left behind by either.
    const markerFiles = (await allFiles(temp.root())).filter((file) => file.includes('.~vis'));
    expect(markerFiles).toEqual([]);
  });

  it('an upload sets its visibility over markers another process left, before and after the folder is known local', async () => {
    // Two adapters on one root stand for two processes: neither knows what the other wrote.
    const [ours, theirs] = [temp.adapter(), temp.adapter()];
    const flip = (visibility: string) => (visibility === 'public' ? 'private' : 'public');
    for (const key of ['uploads/u1/flip.txt', 'processed/t/u1/j1/flip.txt']) {
      for (let round = 0; round < 6; round++) {
        // Theirs makes it the opposite of what ours will write; ours must end it as written.
        const wanted = round % 2 === 0 ? 'private' : 'public';
        await theirs.upload(key, 'theirs', 'text/plain', { visibility: flip(wanted) });
        expect((await ours.stat(key)).visibility).toBe(flip(wanted));
        await ours.upload(key, `ours ${round}`, 'text/plain', { visibility: wanted });
        expect((await theirs.stat(key)).visibility).toBe(wanted);
        await new Promise((resolve) => setTimeout(resolve, 5)); // lets the filesystem's kind be learnt
      }
    }
  });
});
