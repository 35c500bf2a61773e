import { constants, readlinkSync } from 'node:fs';
import { lstat, mkdir, open, realpath, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, PermissionDeniedError } from '@monorepo/storage-core';
import type { StorageOperation } from '@monorepo/storage-core';
import { errnoCode } from './fs-errors.js';
import { tempName } from './reserved-names.js';

// O_NONBLOCK and O_NOCTTY: opening a FIFO or a terminal must neither block nor grab it.
const READ_FLAGS =
  constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Where a key lives on disk: its (real) directory and file name. */
export interface Location {
  dir: string;
  name: string;
  file: string;
}

/**
 * Maps validated keys to paths under one root and guarantees they stay there:
 * no symbolic link below the root is ever followed, so a link pointing outside
 * cannot be used to read or write there.
 */
export class SafeRoot {
  readonly #base: string;
  readonly #dirMode: number;
  readonly #create: boolean;
  #root: Promise<string> | undefined;
  #resolved: string | undefined;
  /** Whether /proc/self/fd can tell which file a descriptor refers to (Linux); learnt on first use. */
  #procFd: boolean | undefined;

  constructor(base: string, dirMode: number, create = true) {
    this.#base = path.resolve(base);
    this.#dirMode = dirMode;
    this.#create = create;
  }

  /** The real path of the root, created on first use unless told not to (then a missing root is `ECONFIG`). */
  root(): Promise<string> {
    this.#root ??= (async () => {
      if (this.#create) await mkdir(this.#base, { recursive: true, mode: this.#dirMode });
      try {
        return (this.#resolved = await realpath(this.#base));
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
        throw new ConfigError(
          `Local storage root ${this.#base} does not exist`,
          ['localBasePath: does not exist'],
          { backend: 'local', cause: error },
        );
      }
    })();
    this.#root.catch(() => (this.#root = undefined));
    return this.#root;
  }

  /** The real path of the root once {@link root} has resolved it. */
  get resolved(): string | undefined {
    return this.#resolved;
  }

  /** Resolves the directory that holds `key`; with `create`, makes missing directories. */
  async locate(key: string, operation: StorageOperation, create = false): Promise<Location> {
    const root = await this.root();
    const segments = key.split('/');
    const name = segments.pop()!;
    const dir = await this.directory(root, segments, key, operation, create);
    return { dir, name, file: path.join(dir, name) };
  }

  /**
   * Creates and opens a new temporary file (mode `fileMode`) in the directory of `key`, making missing
   * directories. The path is checked for links once the file is created, not before: on Linux by the
   * descriptor itself (`/proc/self/fd`, read synchronously: it is kernel memory, never disk or network), elsewhere
   * with `realpath` of the directory alongside the create. If a link turns up, the (empty) file is removed and
   * nothing is written. Whenever that fast path cannot create the file (a directory missing, a file in the way),
   * {@link locate} resolves the path first, as before.
   */
  async createTemp(
    key: string,
    operation: StorageOperation,
    fileMode: number,
  ): Promise<{ handle: FileHandle; loc: Location; tmp: string }> {
    const root = await this.root();
    const segments = key.split('/');
    const name = segments.pop()!;
    const dir = path.join(root, ...segments);
    const tmp = path.join(dir, tempName());
    const [opened, real] = await Promise.allSettled([
      open(tmp, 'wx', fileMode),
      this.#procFd ? undefined : realpath(dir),
    ]);
    if (opened.status === 'fulfilled') {
      const handle = opened.value;
      let actual: string | undefined;
      if (this.#procFd !== false) {
        try {
          actual = readlinkSync(`/proc/self/fd/${handle.fd}`);
          this.#procFd = true;
        } catch {
          this.#procFd = false;
        }
      }
      const fine =
        actual !== undefined
          ? actual === tmp
          : real.status === 'fulfilled' && real.value !== undefined && real.value === dir;
      if (fine) return { handle, loc: { dir, name, file: path.join(dir, name) }, tmp };
      await handle.close();
      await unlink(tmp).catch(() => {});
      if (actual !== undefined) this.#assertNoLink(tmp, actual, key, operation);
      if (real.status === 'rejected') throw real.reason;
      if (real.value !== undefined) this.#assertNoLink(dir, real.value, key, operation);
    }
    const loc = await this.locate(key, operation, true);
    const slow = path.join(loc.dir, tempName());
    return { handle: await open(slow, 'wx', fileMode), loc, tmp: slow };
  }

  /**
   * Opens `key` for reading without following any symbolic link below the
   * root. On Linux the descriptor itself is checked (`/proc/self/fd`): the
   * file actually opened must sit at the key's path, which costs one syscall
   * and leaves no gap between check and use; nothing is read before the
   * check. Elsewhere the directory is resolved with `realpath` first.
   */
  async openForRead(
    key: string,
    operation: StorageOperation,
  ): Promise<{ handle: FileHandle; loc: Location }> {
    if (this.#procFd === false) {
      const loc = await this.locate(key, operation);
      return { handle: await open(loc.file, READ_FLAGS), loc };
    }
    const root = await this.root();
    const segments = key.split('/');
    const name = segments.pop()!;
    const dir = path.join(root, ...segments);
    const file = path.join(dir, name);
    const handle = await open(file, READ_FLAGS);
    let opened: string;
    try {
      // Synchronously, as in createTemp: /proc is kernel memory, a thread-pool hop would cost more than the call.
      opened = readlinkSync(`/proc/self/fd/${handle.fd}`);
      this.#procFd = true;
    } catch (error) {
      await handle.close();
      if (this.#procFd === undefined) {
        this.#procFd = false;
        return this.openForRead(key, operation);
      }
      throw error;
    }
    if (opened !== file && opened !== `${file} (deleted)`) {
      await handle.close();
      this.#assertNoLink(file, opened, key, operation);
    }
    return { handle, loc: { dir, name, file } };
  }

  /** Resolves a directory given as key segments (may be empty for the root). */
  async directory(
    root: string,
    segments: string[],
    key: string,
    operation: StorageOperation,
    create: boolean,
  ): Promise<string> {
    const lexical = path.join(root, ...segments);
    try {
      this.#assertNoLink(lexical, await realpath(lexical), key, operation);
      return lexical;
    } catch (error) {
      if (!create || errnoCode(error) !== 'ENOENT') throw error;
    }
    let current = root;
    for (const segment of segments) {
      current = path.join(current, segment);
      try {
        await mkdir(current, { mode: this.#dirMode });
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
        const info = await lstat(current);
        if (info.isSymbolicLink()) this.#assertNoLink(current, '', key, operation);
        if (!info.isDirectory())
          throw Object.assign(new Error(`ENOTDIR: ${segment}`), {
            code: 'EISDIR',
            syscall: 'mkdir',
          });
      }
    }
    return lexical;
  }

  #assertNoLink(lexical: string, real: string, key: string, operation: StorageOperation): void {
    if (real !== lexical) {
      throw new PermissionDeniedError(
        `Refusing to follow a symbolic link on the path of ${JSON.stringify(key)}`,
        {
          key,
          operation,
          backend: 'local',
        },
      );
    }
  }
}
