import { Transform, pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { isStorageError } from './errors.js';
import type { StorageOperation } from './errors.js';
import type { Monitoring } from './monitoring.js';
import { interceptDriver } from './storage-layer.js';
import type { StorageLayer } from './storage-layer.js';
import type { DriverWrite } from './storage-driver.js';
import { wrapError } from './wrap-error.js';

/**
 * A layer that reports every call to `monitoring`: `storage_operations_total` and the `storage_operation_ms`
 * histogram (labels `backend`, `operation`, `outcome`: `ok`, `not_found` or `error`), `storage_errors_total`
 * (`backend`, `operation`, `code`: the code the caller gets, `EIO` for anything a driver throws untyped) and
 * `storage_bytes_total` (`backend`, `operation`) for bytes written by `upload` and read by `download` and
 * `downloadStream` (counted as the stream is read, reported when it ends or fails). Calls `Disk` refuses
 * before any I/O count as errors of their operation. `DiskOptions.monitoring` adds this layer outermost.
 */
export function metricsLayer(monitoring: Monitoring): StorageLayer {
  return (inner) => {
    const backend = inner.backend;
    const bytes = (operation: StorageOperation, count: number) => {
      if (count > 0) monitoring.increment('storage_bytes_total', { backend, operation }, count);
    };
    const failed = (operation: StorageOperation, error: unknown): string => {
      if (!isStorageError(error)) return 'error';
      monitoring.increment('storage_errors_total', { backend, operation, code: error.code });
      return error.code === 'ENOENT' ? 'not_found' : 'error';
    };
    const record = (operation: StorageOperation, started: number, outcome: string) => {
      const labels = { backend, operation, outcome };
      monitoring.increment('storage_operations_total', labels);
      monitoring.timing('storage_operation_ms', performance.now() - started, labels);
    };
    const driver = interceptDriver(inner, async (call, next) => {
      const started = performance.now();
      let outcome = 'error';
      try {
        const result = await next();
        outcome = 'ok';
        if (call.operation === 'upload') bytes('upload', (result as DriverWrite).size);
        else if (call.operation === 'download') bytes('download', (result as Buffer).length);
        else if (call.operation === 'downloadStream')
          return counted(result as NodeJS.ReadableStream, (n) =>
            bytes('downloadStream', n),
          ) as typeof result;
        return result;
      } catch (error) {
        outcome = failed(call.operation, wrapError(error, call.operation, call.key, backend));
        throw error;
      } finally {
        record(call.operation, started, outcome);
      }
    });
    driver.refused = (operation, error) => {
      if (operation !== 'listAll') record(operation, performance.now(), failed(operation, error));
      inner.refused?.(operation, error);
    };
    return driver;
  };
}

/** Passes the stream through a counter that reports the bytes read once the stream ends or fails. */
function counted(
  stream: NodeJS.ReadableStream,
  report: (bytes: number) => void,
): NodeJS.ReadableStream {
  let bytes = 0;
  let reported = false;
  const done = () => {
    if (!reported) report(bytes);
    reported = true;
  };
  const counter = new Transform({
    highWaterMark: 256 * 1024,
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      done();
      callback();
    },
  });
  pipeline(stream as Readable, counter, done);
  return counter;
}
