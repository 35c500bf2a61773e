import { SingleBar } from 'cli-progress';

/** What long operations report as they go. */
export interface Progress {
  start(totalObjects: number, totalBytes: number): void;
  advance(objects: number, bytes: number): void;
  log(message: string): void;
  stop(): void;
}

const format = (bytes: number) => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
};

/** Human-readable byte count (1.5 MB). */
export const formatBytes = format;

/** A progress bar with objects, bytes, rate and ETA on a TTY; plain lines every few seconds otherwise. */
export function createProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  quiet = false,
): Progress {
  if (quiet) return { start: () => {}, advance: () => {}, log: () => {}, stop: () => {} };
  let objects = 0;
  let bytes = 0;
  let totalObjects = 0;
  let totalBytes = 0;
  const started = Date.now();
  const rate = () => bytes / Math.max(0.001, (Date.now() - started) / 1000);
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} objects | {done} of {all} | {rate}/s | ETA {eta_formatted}`,
        stream,
        hideCursor: true,
        etaBuffer: 50,
      },
      undefined,
    );
    const payload = () => ({ done: format(bytes), all: format(totalBytes), rate: format(rate()) });
    return {
      start(o, b) {
        totalObjects = o;
        totalBytes = b;
        bar.start(o, 0, payload());
      },
      advance(o, b) {
        objects += o;
        bytes += b;
        bar.update(objects, payload());
      },
      log(message) {
        stream.write(`\n${message}\n`);
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastLine = 0;
  const line = (force = false) => {
    if (!force && Date.now() - lastLine < 2000) return;
    lastLine = Date.now();
    const eta =
      rate() > 0 && totalBytes > bytes ? ` eta ${Math.ceil((totalBytes - bytes) / rate())}s` : '';
    stream.write(
      `${label}: ${objects}/${totalObjects} objects, ${format(bytes)} of ${format(totalBytes)}, ${format(rate())}/s${eta}\n`,
    );
  };
  return {
    start(o, b) {
      totalObjects = o;
      totalBytes = b;
      line(true);
    },
    advance(o, b) {
      objects += o;
      bytes += b;
      line();
    },
    log(message) {
      stream.write(`${message}\n`);
    },
    stop() {
      line(true);
    },
  };
}
