import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** A child process whose output goes to a log file, stopped with SIGTERM then SIGKILL. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly errorLogs: string[];
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;

  constructor(
    name: string,
    command: string,
    args: string[],
    options: {
      env: NodeJS.ProcessEnv;
      cwd?: string;
      logFile: string;
      echo?: boolean;
      /** Other files it writes its errors to (nginx's error log), shown when it fails to start. */
      errorLogs?: string[];
    },
  ) {
    this.name = name;
    this.logFile = options.logFile;
    this.errorLogs = options.errorLogs ?? [];
    const log = createWriteStream(options.logFile, { flags: 'a' });
    this.#child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C in the terminal reaches only `make start`, which then stops the
      // services in order (workers before the Redis they use), not every process at once.
      detached: true,
    });
    for (const stream of [this.#child.stdout!, this.#child.stderr!]) {
      stream.pipe(log, { end: false });
      if (options.echo) stream.pipe(process.stdout, { end: false });
    }
    this.#exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    this.#child.once('error', (error) => log.write(`spawn failed: ${error.message}\n`));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Resolves with the exit code when the process ends. */
  exited(): Promise<number | null> {
    return this.#exited;
  }

  /** Sends a signal (SIGKILL simulates a crash). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.#child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => {
      // Worth knowing: a service that ignores SIGTERM is a bug, and every stop of it costs graceMs.
      process.stderr.write(`${this.name} did not stop within ${graceMs} ms of SIGTERM: killed\n`);
      this.#child.kill('SIGKILL');
    }, graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Polls `url` until it answers 2xx, or throws after `timeoutMs` (with the process's log tail for context). */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  process?: ManagedProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      // A slow answer on a loaded machine is still an answer: each try may take up to 5 s.
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (error) {
      last = String((error as Error).cause ?? error); // not up yet (refused), or too slow
    }
    if (process && !process.running)
      throw new Error(`${process.name} exited during start-up${await logTail(process)}`);
    if (Date.now() > deadline)
      throw new Error(
        `${url} not ready after ${timeoutMs} ms (last try: ${last})${process ? await logTail(process) : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The last lines of a process's logs, for an error message (test directories are removed with the logs). */
export async function logTail(process: ManagedProcess, lines = 12): Promise<string> {
  let text = '';
  for (const file of [process.logFile, ...process.errorLogs]) {
    const content = await readFile(file, 'utf8').catch(() => '');
    const tail = content.trimEnd().split('\n').slice(-lines).join('\n');
    text += `\n--- ${file}${tail ? `\n${tail}` : ' (empty)'}`;
  }
  return text;
}
