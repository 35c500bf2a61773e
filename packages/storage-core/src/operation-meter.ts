import { Transform, pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { StorageError, isStorageError } from './errors.js';
import type { StorageOperation } from './errors.js';
import { noopMonitoring } from './monitoring.js';
import type { Monitoring } from './monitoring.js';

/** Errors a caller's body stream emitted: the caller's own, passed on unchanged rather than wrapped. */
const bodyErrors = new WeakSet<object>();
/** Marks an error a caller's body stream emitted, so it passes through unwrapped. */
export const noteBodyError = (error: unknown) => {
  if (typeof error === 'object' && error !== null) bodyErrors.add(error);
};

/**
 * What `Disk` does around every operation: times and counts it (`storage_operations_total`,
 * `storage_operation_ms`, `storage_errors_total`, `storage_bytes_total`) and turns anything that is not a
 * `StorageError` into one (abort reasons and a caller's body errors pass through).
 */
export class OperationMeter {
  readonly #monitoring: Monitoring;
  readonly #backend: string;
  /** False for the no-op monitoring: then nothing is timed and no stream is wrapped. */
  readonly measured: boolean;

  constructor(monitoring: Monitoring = noopMonitoring, backend: string) {
    this.#monitoring = monitoring;
    this.#backend = backend;
    this.measured = monitoring !== noopMonitoring;
  }

  async run<T>(
    operation: StorageOperation,
    key: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    const started = this.measured ? performance.now() : 0;
    let outcome = 'error';
    try {
      const result = await fn();
      outcome = 'ok';
      return result;
    } catch (error) {
      const wrapped = this.wrap(error, operation, key);
      if (this.measured && isStorageError(wrapped)) {
        if (wrapped.code === 'ENOENT') outcome = 'not_found';
        this.#monitoring.increment('storage_errors_total', {
          backend: this.#backend,
          operation,
          code: wrapped.code,
        });
      }
      throw wrapped;
    } finally {
      if (this.measured) {
        const labels = { backend: this.#backend, operation, outcome };
        this.#monitoring.increment('storage_operations_total', labels);
        this.#monitoring.timing('storage_operation_ms', performance.now() - started, labels);
      }
    }
  }

  wrap(error: unknown, operation: StorageOperation, key: string | undefined): unknown {
    if (isStorageError(error) || (error as Error)?.name === 'AbortError') return error;
    if (typeof error === 'object' && error !== null && bodyErrors.has(error)) return error;
    return new StorageError(
      'EIO',
      `${operation} failed: ${(error as Error)?.message ?? String(error)}`,
      {
        key,
        operation,
        backend: this.#backend,
        cause: error,
      },
    );
  }

  bytes(operation: StorageOperation, bytes: number): void {
    if (this.measured && bytes > 0)
      this.#monitoring.increment(
        'storage_bytes_total',
        { backend: this.#backend, operation },
        bytes,
      );
  }

  /** Passes the stream through a counter that reports the bytes read once the stream ends or fails. */
  counted(stream: NodeJS.ReadableStream): NodeJS.ReadableStream {
    let bytes = 0;
    let reported = false;
    const report = () => {
      if (!reported) this.bytes('downloadStream', bytes);
      reported = true;
    };
    const counter = new Transform({
      highWaterMark: 256 * 1024,
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
      flush(done) {
        report();
        done();
      },
    });
    pipeline(stream as Readable, counter, report);
    return counter;
  }
}
