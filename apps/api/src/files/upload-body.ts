import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import type { UploadReservation } from '@monorepo/tenant-limits';
import { ApiError } from '../http/api-error.js';

/** The file part of an upload request. */
export interface IncomingFile {
  stream: Readable;
  filename: string | undefined;
  contentType: string;
  /** Stops reading the request at once (the client is gone): releases the parser and every buffer. */
  abort(reason: Error): void;
}

const PRINTABLE = /^[\x20-\x7e]+$/;

export function tooLarge(max: number): ApiError {
  return new ApiError('E_TOO_LARGE', `Upload is larger than ${max} bytes`);
}

function cleanType(type: string | undefined): string {
  const value = (type ?? '').trim();
  return value && PRINTABLE.test(value) && value.length <= 255 ? value : 'application/octet-stream';
}

/**
 * The file of an upload request, as a stream: the raw body (with its
 * `Content-Type`), or the `file` field of a `multipart/form-data` body.
 * Nothing is buffered beyond the stream's own chunks.
 */
export function incomingFile(req: Request, max: number): Promise<IncomingFile> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^multipart\/form-data/i.test(type)) {
    return Promise.resolve({
      stream: req,
      filename: undefined,
      contentType: cleanType(type),
      abort: (reason) => {
        req.unpipe();
        req.destroy(reason);
      },
    });
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: max, fields: 10, parts: 20 },
      });
    } catch {
      reject(new ApiError('E_VALIDATION', 'Malformed multipart/form-data request'));
      return;
    }
    let found = false;
    parser.on('file', (field, stream, info) => {
      if (field !== 'file' || found) {
        stream.resume();
        return;
      }
      found = true;
      stream.once('limit', () => stream.destroy(tooLarge(max)));
      resolve({
        stream,
        filename: info.filename,
        contentType: cleanType(info.mimeType),
        // pipe() does not pass a client abort on: without this the parser and its file stream wait forever.
        abort: (reason) => {
          req.unpipe(parser);
          stream.destroy(reason);
          parser.destroy(reason);
          req.destroy(reason);
        },
      });
    });
    parser.once('error', (error) => {
      const apiError = new ApiError(
        'E_VALIDATION',
        `Malformed multipart body: ${(error as Error).message}`,
      );
      if (!found) reject(apiError);
    });
    parser.once('close', () => {
      if (!found) reject(new ApiError('E_VALIDATION', 'multipart/form-data needs a "file" field'));
    });
    req.pipe(parser);
  });
}

/** Quota reserved per step while a body of unknown length streams in (few Redis round trips). */
const QUOTA_STEP = 8 * 1024 * 1024;

/**
 * Passes bytes through and fails with 413 once more than `max` have gone by, or once the user's quota would be
 * passed (`E_QUOTA_EXCEEDED`, reserving in steps as the body grows); counts them in `bytes`.
 */
export function sizeLimit(
  max: number,
  reservation?: Pick<UploadReservation, 'ensure'>,
): Transform & { bytes: number } {
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      limiter.bytes += chunk.length;
      if (limiter.bytes > max) return callback(tooLarge(max));
      if (!reservation) return callback(null, chunk);
      reservation.ensure(limiter.bytes, QUOTA_STEP).then(
        () => callback(null, chunk),
        (error: unknown) => callback(error as Error), // a LimitExceededError: 413 via toHttpError
      );
    },
  }) as Transform & { bytes: number };
  limiter.bytes = 0;
  return limiter;
}
