import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { BigIntStats } from 'node:fs';
import { errnoCode } from './fs-errors.js';
import { sidecarName, tempName } from './reserved-names.js';

/** Stored attributes of one version of an object. */
export interface StoredMeta {
  contentType: string;
  cacheControl?: string;
  metadata: Record<string, string>;
}

interface Entry extends StoredMeta {
  /** Fingerprint of the data file this entry describes. */
  fp: string;
}

interface SidecarFile {
  v: 1;
  name: string;
  entries: Entry[];
}

/**
 * Identity of one written version of a file: inode, size and mtime in ns.
 * A rename keeps all three, so the fingerprint follows the data file.
 */
export function fingerprint(stats: BigIntStats): string {
  return `${stats.ino}-${stats.size}-${stats.mtimeNs}`;
}

/**
 * Metadata lives in a hidden sidecar beside the data file. Each entry is tied
 * to a data fingerprint, so a reader never pairs content with another
 * version's metadata: it finds the entry matching the file it opened, or none.
 */
export class Sidecars {
  async read(dir: string, name: string, fp: string): Promise<StoredMeta | undefined> {
    const file = await this.#load(dir, name);
    const entry = file?.entries.find((e) => e.fp === fp);
    if (!entry) return undefined;
    const { fp: _fp, ...meta } = entry;
    return meta;
  }

  /**
   * Writes the entry for a new version, keeping the entry of the version
   * currently in place (`currentFp`) so readers of the old file still match
   * until the data rename lands.
   */
  async write(
    dir: string,
    name: string,
    fp: string,
    meta: StoredMeta,
    currentFp?: string,
  ): Promise<void> {
    const previous = currentFp
      ? (await this.#load(dir, name))?.entries.find((e) => e.fp === currentFp)
      : undefined;
    const content: SidecarFile = {
      v: 1,
      name,
      entries: previous ? [{ fp, ...meta }, previous] : [{ fp, ...meta }],
    };
    const tmp = path.join(dir, tempName());
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(JSON.stringify(content));
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, path.join(dir, sidecarName(name)));
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw error;
    }
  }

  async remove(dir: string, name: string): Promise<void> {
    await unlink(path.join(dir, sidecarName(name))).catch((error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') throw error;
    });
  }

  async #load(dir: string, name: string): Promise<SidecarFile | undefined> {
    try {
      const parsed = JSON.parse(
        await readFile(path.join(dir, sidecarName(name)), 'utf8'),
      ) as SidecarFile;
      return parsed.v === 1 && parsed.name === name && Array.isArray(parsed.entries)
        ? parsed
        : undefined;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || error instanceof SyntaxError) return undefined;
      throw error;
    }
  }
}
