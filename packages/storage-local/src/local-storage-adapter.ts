import { constants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import {
  copyFile,
  link,
  lstat,
  open,
  stat,
  readFile,
  readdir,
  rename,
  rmdir,
  unlink,
} from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  InvalidKeyError,
  PermissionDeniedError,
  StorageError,
  StorageUnavailableError,
  bodyToBuffer,
  bodyToReadable,
  compareKeys,
  contentTypeFromKey,
  decodeCursor,
  encodeCursor,
  joinPublicUrl,
  resolveListLimit,
  resolveRange,
  validateDeletePrefix,
  validateKey,
  validatePrefix,
  validateUploadOptions,
} from '@monorepo/storage-core';
import type {
  Body,
  ByteRange,
  ListOptions,
  ListPage,
  ObjectInfo,
  StorageAdapter,
  StorageOperation,
  UploadOptions,
} from '@monorepo/storage-core';
import { errnoCode, mapFsError } from './fs-errors.js';
import { KeyLock } from './key-lock.js';
import type { LocalStorageConfig } from './local-storage-config.js';
import { isReservedName, isTempName, sidecarName, tempName } from './reserved-names.js';
import { SafeRoot } from './safe-root.js';
import type { Location } from './safe-root.js';
import { Sidecars, fingerprint } from './sidecar.js';
import type { StoredMeta } from './sidecar.js';

const BACKEND = 'local';

interface FileEntry {
  key: string;
  dir: string;
  name: string;
  stats: BigIntStats;
  /** From a directory walk: whether a sidecar was there (so listings skip reading absent ones). */
  sidecar?: boolean;
}

/**
 * Stores objects as plain files under `localBasePath`, so a static web server
 * rooted there serves them as they are.
 *
 * - Writes go to a hidden temporary file that is renamed into place, so a key
 *   holds the old or the new complete content, even across a crash.
 * - Content type, cache control and metadata live in hidden sidecar files tied
 *   to the exact file version they describe.
 * - No symbolic link below the root is followed.
 */
export class LocalStorageAdapter implements StorageAdapter {
  readonly backend = BACKEND;
  readonly #baseUrl: string;
  readonly #root: SafeRoot;
  readonly #sidecars = new Sidecars();
  readonly #locks = new KeyLock();
  readonly #fsync: boolean;
  readonly #fileMode: number;
  readonly #staleTempAfterMs: number;
  readonly #folders: string[] | undefined;
  readonly #requireMounts: boolean;

  constructor(config: LocalStorageConfig) {
    this.#baseUrl = config.baseUrl;
    this.#root = new SafeRoot(
      config.localBasePath,
      config.dirMode ?? 0o755,
      config.createRoot ?? true,
    );
    this.#folders = config.folders?.length
      ? config.folders.map((folder) => validateKey(folder.replace(/\/+$/, ''), 'config', BACKEND))
      : undefined;
    this.#requireMounts = config.requireMountedFolders === true;
    this.#fsync = config.fsync ?? true;
    this.#fileMode = config.fileMode ?? 0o644;
    this.#staleTempAfterMs = config.staleTempAfterMs ?? 60 * 60 * 1000;
  }

  async upload(
    key: string,
    body: Body,
    contentType: string,
    options: UploadOptions = {},
  ): Promise<string> {
    this.#key(key, 'upload');
    validateUploadOptions(key, contentType, options, BACKEND);
    options.signal?.throwIfAborted();
    let tmp: string | undefined;
    try {
      let loc = await this.#root.locate(key, 'upload', true);
      tmp = path.join(loc.dir, tempName());
      let handle: FileHandle;
      try {
        handle = await open(tmp, 'wx', this.#fileMode);
      } catch (error) {
        // A concurrent delete may have pruned the directory just after we made it.
        if (errnoCode(error) !== 'ENOENT') throw error;
        loc = await this.#root.locate(key, 'upload', true);
        tmp = path.join(loc.dir, tempName());
        handle = await open(tmp, 'wx', this.#fileMode);
      }
      const meta: StoredMeta = { contentType, metadata: options.metadata ?? {} };
      if (options.cacheControl) meta.cacheControl = options.cacheControl;
      const sidecar = this.#needsSidecar(key, meta);
      const stats = await this.#writeTemp(handle, loc, body, options, sidecar);
      await this.#commit(
        loc,
        tmp,
        sidecar ? stats : undefined,
        meta,
        key,
        options.ifNotExists === true,
        options.signal,
      );
      tmp = undefined;
      return this.getPublicUrl(key);
    } catch (error) {
      if (tmp) await unlink(tmp).catch(() => {});
      throw mapFsError(error, 'upload', key);
    }
  }

  async download(key: string): Promise<Buffer> {
    this.#key(key, 'download');
    let handle: FileHandle;
    try {
      ({ handle } = await this.#root.openForRead(key, 'download'));
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
    this.#key(key, 'downloadStream');
    const { handle, stats } = await this.#openRead(key, 'downloadStream');
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
    this.#key(key, 'exists');
    try {
      const loc = await this.#root.locate(key, 'exists');
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
    this.#key(key, 'delete');
    try {
      const loc = await this.#root.locate(key, 'delete');
      await this.#locks.run(loc.file, async () => {
        const info = await lstat(loc.file);
        if (info.isDirectory()) return;
        await unlink(loc.file);
        await this.#sidecars.remove(loc.dir, loc.name);
      });
      await this.#prune(loc.dir);
    } catch (error) {
      const mapped = mapFsError(error, 'delete', key);
      if (mapped instanceof StorageError && mapped.code === 'ENOENT') return;
      throw mapped;
    }
  }

  getPublicUrl(key: string): string {
    this.#key(key, 'getPublicUrl');
    return joinPublicUrl(this.#baseUrl, key);
  }

  async stat(key: string): Promise<ObjectInfo> {
    this.#key(key, 'stat');
    try {
      const loc = await this.#root.locate(key, 'stat');
      const stats = await lstat(loc.file, { bigint: true });
      if (stats.isSymbolicLink())
        throw Object.assign(new Error('ELOOP'), { code: 'ELOOP', syscall: 'lstat' });
      if (!stats.isFile())
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'lstat' });
      return await this.#info({ key, dir: loc.dir, name: loc.name, stats }, true);
    } catch (error) {
      throw mapFsError(error, 'stat', key);
    }
  }

  async list(prefix = '', options: ListOptions = {}): Promise<ListPage> {
    this.#prefixCheck(prefix, 'list');
    const limit = resolveListLimit(options.limit, BACKEND);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const entries: FileEntry[] = [];
    let more = false;
    for await (const entry of this.#walk(prefix, after, 'list')) {
      if (entries.length === limit) {
        more = true;
        break;
      }
      entries.push(entry);
    }
    const items = await Promise.all(
      entries.map((entry) => this.#info(entry, options.metadata === true)),
    );
    const last = items.at(-1);
    return more && last ? { items, cursor: encodeCursor(last.key) } : { items };
  }

  async *listAll(prefix = ''): AsyncIterable<ObjectInfo> {
    this.#prefixCheck(prefix, 'listAll');
    for await (const entry of this.#walk(prefix, undefined, 'listAll')) {
      yield await this.#info(entry, false);
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    this.#key(fromKey, 'copy');
    this.#key(toKey, 'copy');
    const { handle, stats: srcStats, loc: src } = await this.#openRead(fromKey, 'copy');
    let tmp: string | undefined;
    try {
      const meta = await this.#sidecars.read(src.dir, src.name, fingerprint(srcStats));
      const dst = await this.#root.locate(toKey, 'copy', true);
      tmp = path.join(dst.dir, tempName());
      await copyFile(src.file, tmp, constants.COPYFILE_FICLONE);
      const stats = await this.#finishTemp(tmp);
      const desired = meta ?? this.#defaultMeta(fromKey);
      await this.#commit(
        dst,
        tmp,
        this.#needsSidecar(toKey, desired) ? stats : undefined,
        desired,
        toKey,
        false,
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
    this.#key(fromKey, 'move');
    this.#key(toKey, 'move');
    if (fromKey === toKey) {
      await this.stat(fromKey);
      return;
    }
    try {
      const src = await this.#root.locate(fromKey, 'move');
      const stats = await lstat(src.file, { bigint: true });
      if (!stats.isFile())
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'lstat' });
      const dst = await this.#root.locate(toKey, 'move', true);
      if ((await lstat(dst.dir, { bigint: true })).dev !== stats.dev) {
        // Another filesystem (e.g. another volume): copy into a temp file there, commit, then delete the source.
        await this.copy(fromKey, toKey);
        await this.delete(fromKey);
        return;
      }
      const meta = await this.#sidecars.read(src.dir, src.name, fingerprint(stats));
      // rename keeps the inode and mtime, so the source's fingerprint is the moved file's.
      const desired = meta ?? this.#defaultMeta(fromKey);
      await this.#commit(
        dst,
        src.file,
        this.#needsSidecar(toKey, desired) ? stats : undefined,
        desired,
        toKey,
        false,
      );
      if (this.#fsync) await this.#syncDir(src.dir);
      await this.#sidecars.remove(src.dir, src.name);
      await this.#prune(src.dir);
    } catch (error) {
      throw mapFsError(error, 'move', fromKey);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    validateDeletePrefix(prefix, BACKEND);
    this.#prefixCheck(prefix, 'deletePrefix');
    let count = 0;
    const dirs = new Set<string>();
    for await (const entry of this.#walk(prefix, undefined, 'deletePrefix')) {
      try {
        await unlink(path.join(entry.dir, entry.name));
        count += 1;
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw mapFsError(error, 'deletePrefix', entry.key);
      }
      await this.#sidecars.remove(entry.dir, entry.name);
      dirs.add(entry.dir);
    }
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await this.#prune(dir);
    return count;
  }

  async checkHealth(): Promise<void> {
    const ctx = { operation: 'checkHealth' as const, backend: BACKEND };
    const root = await this.#root.root();
    const rootDev = (await stat(root)).dev;
    for (const folder of this.#folders ?? ['']) {
      const dir = path.join(root, folder);
      try {
        const info = await lstat(dir);
        if (!info.isDirectory())
          throw new StorageUnavailableError(`Storage folder ${folder}/ is missing`, ctx);
        if (this.#requireMounts && info.dev === rootDev)
          throw new StorageUnavailableError(
            `Storage folder ${folder}/ is not a mounted volume (it lies on the root's filesystem)`,
            ctx,
          );
        const probe = path.join(dir, tempName());
        await (await open(probe, 'wx', this.#fileMode)).close();
        await unlink(probe);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT')
          throw new StorageUnavailableError(`Storage folder ${folder || '.'}/ is missing`, {
            ...ctx,
            cause: error,
          });
        throw mapFsError(error, 'checkHealth', folder);
      }
    }
  }

  async sweepIncomplete(options: { olderThanMs?: number } = {}): Promise<number> {
    return this.sweep(options.olderThanMs);
  }

  /**
   * Removes temporary files older than `olderThanMs` (default: the configured
   * stale age) left by writers that died mid-upload, and sidecars whose data
   * file is gone. Returns how many files were removed.
   */
  async sweep(olderThanMs = this.#staleTempAfterMs): Promise<number> {
    const root = await this.#root.root();
    let removed = 0;
    const visit = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      const names = new Set(entries.map((e) => e.name));
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await visit(full);
        else if (isTempName(entry.name) && (await this.#isStale(full, olderThanMs))) {
          removed += await unlink(full).then(
            () => 1,
            () => 0,
          );
        } else if (isReservedName(entry.name) && !isTempName(entry.name)) {
          removed += await this.#removeOrphanSidecar(dir, full, names);
        }
      }
      if (dir !== root) await this.#prune(dir);
    };
    await visit(root);
    return removed;
  }

  async #removeOrphanSidecar(dir: string, full: string, names: Set<string>): Promise<number> {
    try {
      const { name } = JSON.parse(await readFile(full, 'utf8')) as { name?: string };
      if (typeof name === 'string' && names.has(name)) return 0;
    } catch {
      // unreadable sidecar: treat as orphan
    }
    return unlink(full).then(
      () => 1,
      () => 0,
    );
  }

  /** Validates a key, and with configured folders refuses keys outside them. */
  #key(key: string, operation: StorageOperation): void {
    validateKey(key, operation, BACKEND);
    this.#inFolders(key, operation, (folder) => key.startsWith(folder));
  }

  /** A prefix must lie inside a configured folder or lead to one (`''`, `upl`). */
  #prefixCheck(prefix: string, operation: StorageOperation): void {
    validatePrefix(prefix, operation, BACKEND);
    this.#inFolders(
      prefix,
      operation,
      (folder) => prefix.startsWith(folder) || folder.startsWith(prefix),
    );
  }

  #inFolders(key: string, operation: StorageOperation, fits: (folder: string) => boolean): void {
    const folders = this.#folders?.map((folder) => `${folder}/`);
    if (folders && !folders.some(fits))
      throw new InvalidKeyError(
        `Key ${JSON.stringify(key)} is outside the folders this storage accepts (${folders.join(', ')})`,
        { key, operation, backend: BACKEND },
      );
  }

  async #openRead(
    key: string,
    operation: StorageOperation,
  ): Promise<{ handle: FileHandle; stats: BigIntStats; loc: Location }> {
    let handle: FileHandle | undefined;
    try {
      const opened = await this.#root.openForRead(key, operation);
      handle = opened.handle;
      const stats = await handle.stat({ bigint: true });
      if (!stats.isFile())
        throw Object.assign(new Error('EISDIR'), { code: 'EISDIR', syscall: 'open' });
      return { handle, stats, loc: opened.loc };
    } catch (error) {
      await handle?.close();
      throw mapFsError(error, operation, key);
    }
  }

  async #writeTemp(
    handle: FileHandle,
    loc: Location,
    body: Body,
    options: UploadOptions,
    wantStats: boolean,
  ): Promise<BigIntStats | undefined> {
    try {
      const bytes = bodyToBuffer(body);
      let written: number;
      if (bytes) {
        await handle.writeFile(bytes, { signal: options.signal });
        written = bytes.length;
      } else {
        written = 0;
        for await (const chunk of bodyToReadable(body) as AsyncIterable<Buffer | string>) {
          options.signal?.throwIfAborted();
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          await handle.write(bytes);
          written += bytes.length;
        }
      }
      if (options.contentLength !== undefined && options.contentLength !== written) {
        throw new StorageError(
          'EINVAL',
          `Body of ${JSON.stringify(loc.name)} had ${written} bytes, but contentLength said ${options.contentLength}`,
          { operation: 'upload', backend: BACKEND },
        );
      }
      if (this.#fsync) await handle.sync();
      return wantStats ? await handle.stat({ bigint: true }) : undefined;
    } finally {
      await handle.close();
    }
  }

  async #finishTemp(tmp: string): Promise<BigIntStats> {
    const handle = await open(tmp, 'r+');
    try {
      await handle.chmod(this.#fileMode);
      if (this.#fsync) await handle.sync();
      return await handle.stat({ bigint: true });
    } finally {
      await handle.close();
    }
  }

  /**
   * Renames `from` (a finished temp file, or the source of a move) onto `loc`, with a sidecar for `meta`
   * when `stats` (those of `from`) are given, then fsyncs the directory.
   */
  async #commit(
    loc: Location,
    from: string,
    stats: BigIntStats | undefined,
    meta: StoredMeta,
    key: string,
    ifNotExists: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#locks.run(loc.file, async () => {
      signal?.throwIfAborted();
      if (stats) {
        await this.#sidecars.write(
          loc.dir,
          loc.name,
          fingerprint(stats),
          meta,
          await this.#currentFp(loc.file),
        );
      }
      if (ifNotExists) {
        await link(from, loc.file);
        await unlink(from);
      } else {
        await rename(from, loc.file);
      }
    });
    if (this.#fsync) await this.#syncDir(loc.dir);
  }

  #defaultMeta(key: string): StoredMeta {
    return { contentType: contentTypeFromKey(key), metadata: {} };
  }

  #needsSidecar(key: string, meta: StoredMeta): boolean {
    return (
      meta.contentType !== contentTypeFromKey(key) ||
      meta.cacheControl !== undefined ||
      Object.keys(meta.metadata).length > 0
    );
  }

  async #currentFp(file: string): Promise<string | undefined> {
    try {
      return fingerprint(await lstat(file, { bigint: true }));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async #info(entry: FileEntry, withMeta: boolean): Promise<ObjectInfo> {
    const { stats } = entry;
    const stored =
      withMeta && entry.sidecar !== false
        ? await this.#sidecars.read(entry.dir, entry.name, fingerprint(stats))
        : undefined;
    const meta = stored ?? this.#defaultMeta(entry.key);
    const info: ObjectInfo = {
      key: entry.key,
      size: Number(stats.size),
      contentType: meta.contentType,
      etag: `"${stats.mtimeNs.toString(16)}-${stats.size.toString(16)}"`,
      lastModified: new Date(Number(stats.mtimeMs)),
      metadata: withMeta ? { ...meta.metadata } : {},
    };
    if (withMeta && meta.cacheControl !== undefined) info.cacheControl = meta.cacheControl;
    return info;
  }

  /** Files under `prefix` in byte-wise key order, strictly after `after` when given. */
  async *#walk(
    prefix: string,
    after: string | undefined,
    operation: StorageOperation,
  ): AsyncGenerator<FileEntry> {
    const root = await this.#root.root();
    const slash = prefix.lastIndexOf('/');
    const segments = slash >= 0 ? prefix.slice(0, slash).split('/') : [];
    let dir: string;
    try {
      dir = await this.#root.directory(root, segments, prefix, operation, false);
    } catch (error) {
      // Nothing to list, or the prefix runs through a symbolic link (never followed).
      const code = errnoCode(error) ?? (error instanceof StorageError ? error.code : undefined);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return;
      throw mapFsError(error, operation, prefix);
    }
    yield* this.#walkDir(
      dir,
      slash >= 0 ? prefix.slice(0, slash + 1) : '',
      prefix.slice(slash + 1),
      after,
    );
  }

  async *#walkDir(
    dir: string,
    keyPrefix: string,
    namePrefix: string,
    after: string | undefined,
  ): AsyncGenerator<FileEntry> {
    let dirents;
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    const candidates: Array<{ name: string; sortKey: Buffer; isDir: boolean }> = [];
    const sidecars = new Set<string>();
    for (const dirent of dirents) {
      const { name } = dirent;
      if (isReservedName(name)) {
        if (isTempName(name)) void this.#removeIfStale(path.join(dir, name));
        else sidecars.add(name);
        continue;
      }
      if (!name.startsWith(namePrefix) || dirent.isSymbolicLink()) continue;
      const isDir = dirent.isDirectory();
      if (!isDir && !dirent.isFile()) continue;
      candidates.push({
        name,
        isDir,
        sortKey: Buffer.from(keyPrefix + name + (isDir ? '/' : ''), 'utf8'),
      });
    }
    candidates.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    const afterBytes = after === undefined ? undefined : Buffer.from(after, 'utf8');
    for (const candidate of candidates) {
      const key = keyPrefix + candidate.name;
      if (candidate.isDir) {
        const dirKey = `${key}/`;
        if (after !== undefined && compareKeys(dirKey, after) < 0 && !after.startsWith(dirKey))
          continue;
        yield* this.#walkDir(path.join(dir, candidate.name), dirKey, '', after);
        continue;
      }
      if (afterBytes && Buffer.compare(candidate.sortKey, afterBytes) <= 0) continue;
      try {
        const stats = await lstat(path.join(dir, candidate.name), { bigint: true });
        if (stats.isFile())
          yield {
            key,
            dir,
            name: candidate.name,
            stats,
            sidecar: sidecars.size > 0 && sidecars.has(sidecarName(candidate.name)),
          };
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
      }
    }
  }

  async #isStale(file: string, olderThanMs: number): Promise<boolean> {
    try {
      const age = Date.now() - (await lstat(file)).mtimeMs;
      return olderThanMs <= 0 || age >= olderThanMs;
    } catch {
      return false;
    }
  }

  async #removeIfStale(file: string): Promise<void> {
    if (await this.#isStale(file, this.#staleTempAfterMs)) await unlink(file).catch(() => {});
  }

  /** Removes now-empty directories from `dir` up to (not including) the root. */
  async #prune(dir: string): Promise<void> {
    const root = await this.#root.root();
    let current = dir;
    while (current.startsWith(root + path.sep)) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = path.dirname(current);
    }
  }

  async #syncDir(dir: string): Promise<void> {
    const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
