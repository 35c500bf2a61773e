import { constants } from 'node:fs';
import { copyFile, lstat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  ConfigError,
  InvalidKeyError,
  defaultVisibility,
  PermissionDeniedError,
  StorageError,
  joinPublicUrl,
  resolveRange,
  validateKey,
} from '@monorepo/storage-core';
import type {
  Body,
  ByteRange,
  CompletedPart,
  MultipartUploadOptions,
  ReceiveUploadPartOptions,
  UploadedPart,
  DriverPage,
  DriverWrite,
  ObjectInfo,
  ProvisionOptions,
  StorageCapabilities,
  StorageDriver,
  StorageOperation,
  UploadOptions,
  Visibility,
} from '@monorepo/storage-core';
import { clearEarly, commit, finishTemp, writeTemp } from './atomic-write.js';
import type { EarlyClear } from './atomic-write.js';
import { DirectorySync } from './directory-sync.js';
import { FilesystemKinds } from './filesystem-kinds.js';
import { errnoCode, mapFsError } from './fs-errors.js';
import { KeyLock } from './key-lock.js';
import { defaultMeta, etagOf, needsSidecar, objectInfo, openFile, prune } from './local-files.js';
import type { FileEntry, LocalFiles } from './local-files.js';
import type { LocalStorageConfig } from './local-storage-config.js';
import { LocalMultipart } from './local-multipart.js';
import { checkPartUrlSettings, keyOfPartUrl } from './part-urls.js';
import { walk } from './ordered-walk.js';
import { tempName } from './reserved-names.js';
import { SafeRoot } from './safe-root.js';
import type { Location } from './safe-root.js';
import { Sidecars, fingerprint } from './sidecar.js';
import type { StoredMeta } from './sidecar.js';
import { sweep } from './sweeper.js';
import { readVisibility, removeVisibility, writeVisibility } from './visibility-markers.js';
import { checkVolumes, provisionRoot } from './volumes.js';

const BACKEND = 'local';

const CAPABILITIES: StorageCapabilities = Object.freeze({
  signedUrls: false,
  directUploads: false,
  directMultipart: true,
  publicReadPolicy: false,
  atomicOverwrite: true,
  modificationTime: true,
  keyPrefixConflicts: true,
  maxSegmentBytes: 255,
});

/** The local backend's I/O: plain files under one root, behind `Disk` (see `LocalStorageAdapter`). */
export class LocalStorageDriver implements StorageDriver {
  readonly backend = BACKEND;
  readonly capabilities = CAPABILITIES;
  readonly #config: LocalStorageConfig;
  readonly #files: LocalFiles;
  readonly #folders: string[] | undefined;
  readonly #requireMounts: boolean;
  readonly #multipart: LocalMultipart;

  constructor(config: LocalStorageConfig) {
    if (typeof config?.localBasePath !== 'string' || config.localBasePath === '')
      throw new ConfigError(
        'Invalid local storage config: localBasePath is required (the root directory)',
        ['localBasePath: is required'],
        { backend: BACKEND },
      );
    this.#config = config;
    this.#files = {
      root: new SafeRoot(config.localBasePath, config.dirMode ?? 0o755, config.createRoot ?? true),
      sidecars: new Sidecars(),
      locks: new KeyLock(),
      fsync: config.fsync ?? true,
      fileMode: config.fileMode ?? 0o644,
      staleTempAfterMs: config.staleTempAfterMs ?? 60 * 60 * 1000,
      kinds: new FilesystemKinds(),
      dirs: new DirectorySync(),
    };
    this.#folders = config.folders?.length
      ? config.folders.map((folder) => validateKey(folder.replace(/\/+$/, ''), 'config', BACKEND))
      : undefined;
    this.#requireMounts = config.requireMountedFolders === true;
    this.#multipart = new LocalMultipart(
      this.#files,
      config.multipartParts ? checkPartUrlSettings(config.multipartParts) : undefined,
    );
  }

  /** With configured folders, refuses keys outside them; a prefix may also lead to one (`''`, `upl`). */
  checkKey(key: string, operation: StorageOperation, prefix: boolean): void {
    const folders = this.#folders?.map((folder) => `${folder}/`);
    const fits = (folder: string) => key.startsWith(folder) || (prefix && folder.startsWith(key));
    if (folders && !folders.some(fits))
      throw new InvalidKeyError(
        `Key ${JSON.stringify(key)} is outside the folders this storage accepts (${folders.join(', ')})`,
        { key, operation, backend: BACKEND },
      );
  }

  async upload(
    key: string,
    body: Body,
    contentType: string,
    options: UploadOptions & { visibility: Visibility },
  ): Promise<DriverWrite> {
    let tmp: string | undefined;
    try {
      let created: { handle: FileHandle; loc: Location; tmp: string };
      try {
        created = await this.#files.root.createTemp(key, 'upload', this.#files.fileMode);
      } catch (error) {
        // A concurrent delete may have pruned the directory just after we made it.
        if (errnoCode(error) !== 'ENOENT') throw error;
        created = await this.#files.root.createTemp(key, 'upload', this.#files.fileMode);
      }
      const { handle, loc } = created;
      tmp = created.tmp;
      const meta: StoredMeta = { contentType, metadata: options.metadata ?? {} };
      if (options.cacheControl) meta.cacheControl = options.cacheControl;
      const sidecar = needsSidecar(key, meta);
      // A key private by default written private: its stale public marker (if any) goes while the file is
      // fsynced and closed, once the whole body is in.
      let early: EarlyClear | undefined;
      const clear =
        options.visibility === 'private' &&
        defaultVisibility(key) === 'private' &&
        options.ifNotExists !== true
          ? () => {
              if (!options.signal?.aborted) early = clearEarly(this.#files, loc, key);
            }
          : undefined;
      const { written, stats } = await writeTemp(
        this.#files,
        handle,
        tmp,
        loc,
        body,
        options,
        clear,
      );
      await commit(
        this.#files,
        loc,
        tmp,
        sidecar ? stats : undefined,
        meta,
        options.ifNotExists === true,
        { key, value: options.visibility, early },
        options.signal,
      );
      tmp = undefined;
      return { size: written, etag: etagOf(stats) };
    } catch (error) {
      if (tmp) await unlink(tmp).catch(() => {});
      throw mapFsError(error, 'upload', key);
    }
  }

  async download(key: string): Promise<Buffer> {
    let handle: FileHandle;
    try {
      ({ handle } = await this.#files.root.openForRead(key, 'download'));
    } catch (error) {
      throw mapFsError(error, 'download', key);
    }
    try {
      // A directory opens fine but fails here with EISDIR, which maps to ENOENT: no separate fstat needed.
      return await handle.readFile();
    } catch (error) {
      throw mapFsError(error, 'download', key);
    } finally {
      await handle.close();
    }
  }

  async downloadStream(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    const { handle, stats } = await openFile(this.#files, key, 'downloadStream');
    try {
      const span = range
        ? resolveRange(range, Number(stats.size), { key, backend: BACKEND })
        : undefined;
      return handle.createReadStream({ ...span, autoClose: true, highWaterMark: 256 * 1024 });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      const loc = await this.#files.root.locate(key, 'exists');
      return (await lstat(loc.file)).isFile();
    } catch (error) {
      // A path through a symbolic link holds no object; a real permission error is reported, never "missing".
      const refusedLink = error instanceof PermissionDeniedError;
      const mapped = mapFsError(error, 'exists', key);
      if (refusedLink || (mapped instanceof StorageError && mapped.code === 'ENOENT')) return false;
      throw mapped;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      const loc = await this.#files.root.locate(key, 'delete');
      await this.#files.locks.run(loc.file, async () => {
        const info = await lstat(loc.file);
        if (info.isDirectory()) return;
        await unlink(loc.file);
        await this.#files.sidecars.remove(loc.dir, loc.name);
        await removeVisibility(loc.dir, loc.name);
      });
      await prune(this.#files, loc.dir);
    } catch (error) {
      const mapped = mapFsError(error, 'delete', key);
      if (mapped instanceof StorageError && mapped.code === 'ENOENT') return;
      throw mapped;
    }
  }

  publicUrl(key: string): string {
    return joinPublicUrl(this.#config.baseUrl, key);
  }

  async stat(key: string): Promise<ObjectInfo> {
    try {
      const loc = await this.#files.root.locate(key, 'stat');
      const stats = await lstat(loc.file, { bigint: true });
      if (stats.isSymbolicLink())
        throw Object.assign(new Error('ELOOP'), { code: 'ELOOP', syscall: 'lstat' });
      if (!stats.isFile())
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'lstat' });
      const info = await objectInfo(
        this.#files,
        { key, dir: loc.dir, name: loc.name, stats },
        true,
      );
      info.visibility = await readVisibility(loc.dir, loc.name, key);
      return info;
    } catch (error) {
      throw mapFsError(error, 'stat', key);
    }
  }

  async list(
    prefix: string,
    options: { limit: number; after: string | undefined; metadata: boolean },
  ): Promise<DriverPage> {
    const entries: FileEntry[] = [];
    let more = false;
    for await (const entry of walk(this.#files, prefix, options.after, 'list')) {
      if (entries.length === options.limit) {
        more = true;
        break;
      }
      entries.push(entry);
    }
    const items = await Promise.all(
      entries.map((entry) => objectInfo(this.#files, entry, options.metadata)),
    );
    return { items, more };
  }

  async *listAll(prefix: string): AsyncIterable<ObjectInfo> {
    for await (const entry of walk(this.#files, prefix, undefined, 'listAll')) {
      yield await objectInfo(this.#files, entry, false);
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const { handle, stats: srcStats, loc: src } = await openFile(this.#files, fromKey, 'copy');
    let tmp: string | undefined;
    try {
      const meta = await this.#files.sidecars.read(src.dir, src.name, fingerprint(srcStats));
      const dst = await this.#files.root.locate(toKey, 'copy', true);
      tmp = path.join(dst.dir, tempName());
      await copyFile(src.file, tmp, constants.COPYFILE_FICLONE);
      const stats = await finishTemp(this.#files, tmp);
      const desired = meta ?? defaultMeta(fromKey);
      const visibility = await readVisibility(src.dir, src.name, fromKey);
      await commit(
        this.#files,
        dst,
        tmp,
        needsSidecar(toKey, desired) ? stats : undefined,
        desired,
        false,
        { key: toKey, value: visibility },
      );
      tmp = undefined;
    } catch (error) {
      if (tmp) await unlink(tmp).catch(() => {});
      throw mapFsError(error, 'copy', toKey);
    } finally {
      await handle.close();
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    try {
      const src = await this.#files.root.locate(fromKey, 'move');
      const stats = await lstat(src.file, { bigint: true });
      if (!stats.isFile())
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'lstat' });
      const dst = await this.#files.root.locate(toKey, 'move', true);
      if ((await lstat(dst.dir, { bigint: true })).dev !== stats.dev) {
        // Another filesystem (e.g. another volume): copy into a temp file there, commit, then delete the source.
        await this.copy(fromKey, toKey);
        await this.delete(fromKey);
        return;
      }
      const meta = await this.#files.sidecars.read(src.dir, src.name, fingerprint(stats));
      // rename keeps the inode and mtime, so the source's fingerprint is the moved file's.
      const desired = meta ?? defaultMeta(fromKey);
      const visibility = await readVisibility(src.dir, src.name, fromKey);
      await commit(
        this.#files,
        dst,
        src.file,
        needsSidecar(toKey, desired) ? stats : undefined,
        desired,
        false,
        { key: toKey, value: visibility },
      );
      if (this.#files.fsync) await this.#files.dirs.sync(src.dir);
      await this.#files.sidecars.remove(src.dir, src.name);
      await removeVisibility(src.dir, src.name);
      await prune(this.#files, src.dir);
    } catch (error) {
      throw mapFsError(error, 'move', fromKey);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    let count = 0;
    const dirs = new Set<string>();
    for await (const entry of walk(this.#files, prefix, undefined, 'deletePrefix')) {
      try {
        await unlink(path.join(entry.dir, entry.name));
        count += 1;
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw mapFsError(error, 'deletePrefix', entry.key);
      }
      await this.#files.sidecars.remove(entry.dir, entry.name);
      await removeVisibility(entry.dir, entry.name);
      dirs.add(entry.dir);
    }
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await prune(this.#files, dir);
    return count;
  }

  async setVisibility(key: string, visibility: Visibility): Promise<void> {
    try {
      const loc = await this.#files.root.locate(key, 'setVisibility');
      await this.#files.locks.run(loc.file, async () => {
        const stats = await lstat(loc.file);
        if (!stats.isFile())
          throw Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'lstat' });
        await writeVisibility(loc.dir, loc.name, key, visibility, this.#files.fileMode);
      });
    } catch (error) {
      throw mapFsError(error, 'setVisibility', key);
    }
  }

  checkHealth(): Promise<void> {
    return checkVolumes(this.#files, this.#folders, this.#requireMounts);
  }

  sweepIncomplete(olderThanMs: number | undefined): Promise<number> {
    return sweep(this.#files, olderThanMs ?? this.#files.staleTempAfterMs);
  }

  provision(options: ProvisionOptions): Promise<{ created: boolean }> {
    return provisionRoot(this.#files, this.#config, options.folders ?? []);
  }

  createMultipart(key: string, options: MultipartUploadOptions): Promise<{ uploadId: string }> {
    return this.#multipart.create(key, options);
  }

  signPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresIn: number,
    maxBytes?: number,
  ): Promise<string> {
    return this.#multipart.sign(key, uploadId, partNumber, expiresIn, maxBytes);
  }

  listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    return this.#multipart.list(key, uploadId);
  }

  completeMultipart(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void> {
    return this.#multipart.complete(key, uploadId, parts);
  }

  abortMultipart(key: string, uploadId: string): Promise<void> {
    return this.#multipart.abort(key, uploadId);
  }

  partUrlKey(url: string): string | undefined {
    return keyOfPartUrl(url);
  }

  receivePart(
    url: string,
    body: NodeJS.ReadableStream,
    options: ReceiveUploadPartOptions,
  ): Promise<UploadedPart> {
    return this.#multipart.receive(url, body, options);
  }
}
