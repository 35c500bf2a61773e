import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { ApiError } from '../http/api-error.js';

/** The file part of an upload request. */
export interface IncomingFile {
  stream: Readable;
  filename: string | undefined;
  contentType: string;
}

const PRINTABLE = /^[\x20-\x7e]+$/;

export function tooLarge(max: number): ApiError {
  return new ApiError(413, 'E_TOO_LARGE', `Upload is larger than ${max} bytes`);
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
    return Promise.resolve({ stream: req, filename: undefined, contentType: cleanType(type) });
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: max, fields: 10, parts: 20 },
      });
    } catch {
      reject(new ApiError(400, 'E_BAD_MULTIPART', 'Malformed multipart/form-data request'));
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
      resolve({ stream, filename: info.filename, contentType: cleanType(info.mimeType) });
    });
    parser.once('error', (error) => {
      const apiError = new ApiError(
        400,
        'E_BAD_MULTIPART',
        `Malformed multipart body: ${(error as Error).message}`,
      );
      if (!found) reject(apiError);
    });
    parser.once('close', () => {
      if (!found)
        reject(new ApiError(400, 'E_NO_FILE', 'multipart/form-data needs a "file" field'));
    });
    req.pipe(parser);
  });
}

/** Passes bytes through and fails with 413 once more than `max` have gone by; counts them in `bytes`. */
export function sizeLimit(max: number): Transform & { bytes: number } {
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      limiter.bytes += chunk.length;
      callback(limiter.bytes > max ? tooLarge(max) : null, chunk);
    },
  }) as Transform & { bytes: number };
  limiter.bytes = 0;
  return limiter;
}
