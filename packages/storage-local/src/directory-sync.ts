import { constants, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;

interface Held {
  handle: Promise<FileHandle>;
  users: number;
  usedAt: number;
}

/** fsyncs a directory through a descriptor of its own, opened and closed around the call. */
async function syncOnce(dir: string): Promise<void> {
  const handle = await open(dir, DIRECTORY_FLAGS);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * fsyncs directories (so a rename or unlink in them survives a crash) through descriptors it keeps open between
 * calls: a durable upload then costs one fsync of its directory instead of an open, an fsync and a close. Before
 * each fsync, Linux's `/proc/self/fd` confirms the descriptor still names the directory now at that path (one that
 * was removed, moved or replaced since is closed and the path opened afresh). At most `max` are kept; one unused
 * for `idleMs` is closed. Elsewhere each call opens and closes its own descriptor.
 */
export class DirectorySync {
  readonly #held = new Map<string, Held>();
  readonly #max: number;
  readonly #idleMs: number;
  #proc: boolean | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { max?: number; idleMs?: number } = {}) {
    this.#max = options.max ?? 32;
    this.#idleMs = options.idleMs ?? 2_000;
  }

  /** fsyncs `dir`. */
  sync(dir: string): Promise<void> {
    return this.#sync(dir, false);
  }

  async #sync(dir: string, again: boolean): Promise<void> {
    if (this.#proc === false) return syncOnce(dir);
    let held = this.#held.get(dir);
    if (held) this.#held.delete(dir);
    else {
      held = { handle: open(dir, DIRECTORY_FLAGS), users: 0, usedAt: 0 };
      held.handle.catch(() => {});
    }
    // Most recently used last: eviction takes from the front.
    this.#held.set(dir, held);
    held.users++;
    held.usedAt = performance.now();
    this.#trim();
    try {
      const handle = await held.handle;
      if (this.#names(handle, dir)) return await handle.sync();
      this.#drop(dir, held);
    } catch (error) {
      this.#drop(dir, held);
      throw error;
    } finally {
      held.users--;
    }
    // A directory that is no longer the one at `dir`: once more with a descriptor opened now.
    return this.#proc && !again ? this.#sync(dir, true) : syncOnce(dir);
  }

  /** Closes every kept descriptor (those in use close once their fsync is done). */
  close(): void {
    for (const [dir, held] of this.#held) this.#drop(dir, held);
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #names(handle: FileHandle, dir: string): boolean {
    try {
      const named = readlinkSync(`/proc/self/fd/${handle.fd}`);
      this.#proc = true;
      return named === dir;
    } catch {
      this.#proc ??= false;
      return false;
    }
  }

  #drop(dir: string, held: Held): void {
    if (this.#held.get(dir) === held) this.#held.delete(dir);
    // FileHandle.close waits for an fsync in flight.
    held.handle.then((handle) => handle.close()).catch(() => {});
  }

  #trim(): void {
    for (const [dir, held] of this.#held) {
      if (this.#held.size <= this.#max) break;
      if (held.users === 0) this.#drop(dir, held);
    }
    if (this.#timer || this.#held.size === 0) return;
    this.#timer = setInterval(() => {
      const before = performance.now() - this.#idleMs;
      for (const [dir, held] of this.#held)
        if (held.users === 0 && held.usedAt < before) this.#drop(dir, held);
      if (this.#held.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }, this.#idleMs);
    this.#timer.unref();
  }
}
