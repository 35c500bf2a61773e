import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A command prefix that runs a program with its own `/etc/hosts`; see {@link privateHosts}. */
export interface PrivateHosts {
  /** Put before the program and its arguments (`[...prefix, process.execPath, 'main.js']`). */
  prefix: string[];
  /** Removes the hosts file. */
  dispose(): Promise<void>;
}

// Runs "$@" in the new mount namespace after bind-mounting "$0" (the hosts file) over /etc/hosts.
const BIND_AND_EXEC = 'mount --bind "$0" /etc/hosts && exec "$@"';

/**
 * Whether {@link privateHosts} works here: util-linux `unshare` and the right to mount (root), as on CI and
 * the machines `make setup` prepares.
 */
export function privateHostsAvailable(): boolean {
  try {
    execFileSync('unshare', ['--mount', 'sh', '-c', 'mount --bind /etc/hosts /etc/hosts'], {
      stdio: 'ignore',
      timeout: 5_000,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Names that resolve as a test says, for one program only: a copy of the machine's `/etc/hosts` plus
 * `entries` (`name → address`), bind-mounted over `/etc/hosts` in a private mount namespace (`unshare
 * --mount`) in which the program is then exec'd (same process id, so signals reach it). The machine's own
 * `/etc/hosts` and every other process are untouched. Needs {@link privateHostsAvailable}.
 */
export async function privateHosts(entries: Record<string, string>): Promise<PrivateHosts> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hosts-'));
  const file = path.join(dir, 'hosts');
  const base = await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1 localhost\n');
  const extra = Object.entries(entries).map(([name, address]) => `${address} ${name}`);
  await writeFile(file, `${base.trimEnd()}\n${extra.join('\n')}\n`);
  return {
    prefix: ['unshare', '--mount', 'sh', '-c', BIND_AND_EXEC, file],
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
