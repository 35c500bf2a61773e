import { statfs } from 'node:fs/promises';
import path from 'node:path';

/**
 * Linux filesystems (`statfs` magic numbers) that keep a file's metadata on the machine: `fstat` of an open file and
 * a lookup in a directory just written are answered from memory, in a microsecond or two, while a thread-pool hop
 * costs tens of microseconds (on a virtual machine, the wake-up of another CPU). A network or FUSE filesystem (NFS,
 * SMB, CephFS, s3fs, virtiofs…) may ask a server, or write back dirty data, before it answers: those stay off the
 * main thread.
 */
const LOCAL_FILESYSTEMS = new Set([
  0xef53, // ext2, ext3, ext4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0xf2f52010, // f2fs
  0x2fc12fc1, // zfs
  0xca451a4e, // bcachefs
  0x794c7630, // overlayfs (a container's own layer)
]);

const MAX_FOLDERS = 1024;
const LINUX = process.platform === 'linux';

/**
 * Which top-level folders of a root lie on a {@link LOCAL_FILESYSTEMS local filesystem}, learnt with one `statfs`
 * per folder in the background: until that answers, a folder counts as remote. A filesystem mounted deeper than a
 * top-level folder counts as that folder's (its metadata calls then wait on the main thread: slower, never wrong).
 */
export class FilesystemKinds {
  readonly #local = new Map<string, boolean>();
  readonly #pending = new Set<string>();

  /** True when metadata calls on files in `dir` (a directory under `root`) may run synchronously. */
  local(root: string | undefined, dir: string): boolean {
    if (root === undefined || !LINUX) return false;
    const end = dir.indexOf(path.sep, root.length + 1);
    const folder = end === -1 ? dir : dir.slice(0, end);
    const known = this.#local.get(folder);
    if (known !== undefined) return known;
    if (!this.#pending.has(folder) && this.#local.size + this.#pending.size < MAX_FOLDERS)
      this.learn(folder).catch(() => {});
    return false;
  }

  /** Asks the filesystem of `folder` (a top-level folder, or the root) with `statfs` and remembers the answer. */
  async learn(folder: string): Promise<boolean> {
    this.#pending.add(folder);
    try {
      const local = LINUX && LOCAL_FILESYSTEMS.has((await statfs(folder)).type);
      this.#local.set(folder, local);
      return local;
    } finally {
      this.#pending.delete(folder);
    }
  }
}
