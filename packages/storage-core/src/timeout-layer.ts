import { Readable, Transform, pipeline } from 'node:stream';
import { isStreamBody } from './body.js';
import type { Body } from './body.js';
import { StorageTimeoutError } from './errors.js';
import type { StorageOperation } from './errors.js';
import type { ObjectInfo, UploadOptions } from './storage-adapter.js';
import { interceptDriver } from './storage-layer.js';
import type { DriverCall, StorageLayer } from './storage-layer.js';

/** Settings of {@link timeoutLayer}. */
export interface TimeoutLayerOptions {
  /** The most one call may take, in ms (default 120 000). */
  timeoutMs?: number;
  /**
   * The most a stream may stall, in ms (default 60 000): an upload's body between two chunks reaching the
   * driver, a `downloadStream` between two chunks its reader asked for (time the reader takes is not counted),
   * `listAll` between two items.
   */
  ioTimeoutMs?: number;
}

/**
 * Calls whose duration grows with the data (a whole prefix, every stale file, a part streamed from a client at
 * the client's pace): bounded per step or by the caller's request timeout, not in all.
 */
const UNBOUNDED = new Set<StorageOperation>([
  'deletePrefix',
  'sweepIncomplete',
  'receiveUploadPart',
]);

/**
 * A layer that bounds how long a call may take, so a hung backend (a dead NFS mount, a mute endpoint) turns
 * into a typed {@link StorageTimeoutError} (`ETIMEDOUT`) instead of a caller waiting for ever: every call gets
 * `timeoutMs`; an upload of a stream gets `ioTimeoutMs` between chunks and `timeoutMs` once its body has
 * ended (a slow but moving upload is never cut); `downloadStream`'s stream and `listAll` fail when the backend
 * stalls longer than `ioTimeoutMs`. `deletePrefix`, `sweepIncomplete` and `receiveUploadPart` are not bounded as a whole. An upload
 * that times out is aborted through its `signal` (nothing is stored); other calls are abandoned and their late
 * result ignored. It wraps each attempt when placed inside `retryLayer`.
 */
export function timeoutLayer(options: TimeoutLayerOptions = {}): StorageLayer {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const ioTimeoutMs = options.ioTimeoutMs ?? 60_000;
  for (const [name, value] of [
    ['timeoutMs', timeoutMs],
    ['ioTimeoutMs', ioTimeoutMs],
  ] as const)
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`timeoutLayer: ${name} must be a positive integer`);
  return (inner) => {
    const expired = (call: DriverCall, ms: number, what: string) =>
      new StorageTimeoutError(
        `${call.operation} ${what} ${ms} ms${call.key ? ` (${JSON.stringify(call.key)})` : ''}`,
        { key: call.key, operation: call.operation, backend: inner.backend },
      );
    return interceptDriver(
      inner,
      (call, next) => {
        if (UNBOUNDED.has(call.operation)) return next();
        if (call.operation === 'upload') return upload(call, next, expired, timeoutMs, ioTimeoutMs);
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(expired(call, timeoutMs, 'took longer than')), timeoutMs);
        });
        const work = next();
        work.catch(() => {}); // abandoned once the deadline passed
        return Promise.race([work, deadline])
          .then((result) =>
            call.operation === 'downloadStream'
              ? (stalling(result as NodeJS.ReadableStream, ioTimeoutMs, () =>
                  expired(call, ioTimeoutMs, 'stream stalled for'),
                ) as typeof result)
              : result,
          )
          .finally(() => clearTimeout(timer));
      },
      (call, items) =>
        stallingItems(items, ioTimeoutMs, () => expired(call, ioTimeoutMs, 'stalled for')),
    );
  };
}

/** An upload: aborted through its signal when it misses its deadline (idle between chunks for streams). */
async function upload<T>(
  call: DriverCall,
  next: (args?: readonly unknown[]) => Promise<T>,
  expired: (call: DriverCall, ms: number, what: string) => StorageTimeoutError,
  timeoutMs: number,
  ioTimeoutMs: number,
): Promise<T> {
  const [key, body, contentType, options] = call.args as [string, Body, string, UploadOptions];
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let watch: Transform | undefined;
  let fail!: (error: StorageTimeoutError) => void;
  const deadline = new Promise<never>((_resolve, reject) => (fail = reject));
  const arm = (ms: number, what: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const error = expired(call, ms, what);
      controller.abort(error);
      // A driver waiting for the next chunk of a stalled body learns of it here, and cleans up.
      watch?.destroy(error);
      fail(error);
    }, ms);
  };
  let sent: Body = body;
  if (isStreamBody(body)) {
    arm(ioTimeoutMs, 'body stalled for');
    watch = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        arm(ioTimeoutMs, 'body stalled for');
        done(null, chunk);
      },
      flush(done) {
        arm(timeoutMs, 'did not finish within');
        done();
      },
    });
    sent = pipeline(body as Readable, watch, () => {});
  } else arm(timeoutMs, 'took longer than');
  const signal = options.signal
    ? AbortSignal.any([options.signal, controller.signal])
    : controller.signal;
  const work = next([key, sent, contentType, { ...options, signal }]);
  work.catch(() => {});
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `source` as a stream that fails with `expired()` when its reader waits longer than `ms` for the next chunk;
 * while the reader is not asking (backpressure) no time is counted.
 */
function stalling(
  source: NodeJS.ReadableStream,
  ms: number,
  expired: () => Error,
): NodeJS.ReadableStream {
  const input = source as Readable;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => output.destroy(expired()), ms);
  };
  const output = new Readable({
    highWaterMark: input.readableHighWaterMark,
    read() {
      arm();
      input.resume();
    },
    destroy(error, callback) {
      clearTimeout(timer);
      if (!input.destroyed) input.destroy(error ?? undefined);
      callback(error);
    },
  });
  input.on('data', (chunk: Buffer) => {
    clearTimeout(timer);
    if (output.destroyed) return;
    if (output.push(chunk)) arm();
    else input.pause();
  });
  input.once('end', () => {
    clearTimeout(timer);
    output.push(null);
  });
  input.once('error', (error) => {
    clearTimeout(timer);
    output.destroy(error);
  });
  input.pause();
  return output;
}

/** `items`, failing with `expired()` when the next item takes longer than `ms` to come. */
async function* stallingItems(
  items: AsyncIterable<ObjectInfo>,
  ms: number,
  expired: () => Error,
): AsyncIterable<ObjectInfo> {
  const iterator = items[Symbol.asyncIterator]();
  let stalled = false;
  let done = false;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const next = iterator.next();
      next.catch(() => {});
      const step = await Promise.race([
        next,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            stalled = true;
            reject(expired());
          }, ms);
        }),
      ]).finally(() => clearTimeout(timer));
      if (step.done) {
        done = true;
        return;
      }
      yield step.value;
    }
  } finally {
    // A stalled iterator is left to finish on its own (its `return` would wait for the step that hangs).
    if (stalled) void Promise.resolve(iterator.return?.()).catch(() => {});
    else if (!done) await iterator.return?.();
  }
}
