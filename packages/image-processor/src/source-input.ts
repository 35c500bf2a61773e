import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { ImageProcessingError } from './contract/image-processing-error.js';
import { C2paScanner } from './contract/provenance.js';
import { sniffMediaFormat } from './contract/sniff-format.js';
import type { SniffedFormat } from './contract/sniff-format.js';

/** A source read for processing: an image in memory, or a video spooled to a temp file for ffmpeg. */
export type SourceInput =
  | {
      kind: 'image';
      format: SniffedFormat;
      bytes: Buffer;
      size: number;
      /** Hex SHA-256 of the bytes; empty when read with `digest: false`. */
      sha256: string;
      c2pa: boolean;
    }
  | {
      kind: 'video';
      format: SniffedFormat;
      file: string;
      size: number;
      sha256: string;
      c2pa: boolean;
      /** Removes the temp file. */
      dispose: () => Promise<void>;
    };

/** Byte limits per kind, checked while reading; where temp files go. */
export interface SourceLimits {
  imageBytes: number;
  /** 0 refuses videos. */
  videoBytes: number;
  tempDir?: string;
}

const HEAD_BYTES = 64 * 1024;

const tooLarge = (max: number) =>
  new ImageProcessingError('E_SOURCE_TOO_LARGE', `Source is larger than ${max} bytes`);

/**
 * Reads a source stream: sniffs its first bytes, then keeps an image in memory or spools a video to a temp
 * file, each within its byte limit (refused as soon as it passes, or at once when the declared size does),
 * hashing as it reads (unless `digest` is false: on-request renders need no provenance hash of their source).
 * The stream is destroyed on any failure.
 *
 * @throws {ImageProcessingError} `E_UNSUPPORTED_FORMAT` or `E_SOURCE_TOO_LARGE`; read errors as `mapError` makes them.
 */
export async function readSource(
  stream: NodeJS.ReadableStream & { destroy?: (error?: Error) => void },
  limits: SourceLimits,
  declaredBytes: number | undefined,
  mapError: (error: unknown) => unknown = (error) => error,
  { digest = true }: { digest?: boolean } = {},
): Promise<SourceInput> {
  const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const hash = digest ? createHash('sha256') : undefined;
  const scanner = new C2paScanner();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const next = async (): Promise<Buffer | undefined> => {
    let result: IteratorResult<Buffer>;
    try {
      result = await iterator.next();
    } catch (error) {
      throw mapError(error);
    }
    if (result.done) {
      done = true;
      return undefined;
    }
    hash?.update(result.value);
    scanner.push(result.value);
    size += result.value.length;
    return result.value;
  };
  const declared = Number.isFinite(declaredBytes) ? (declaredBytes as number) : undefined;
  let spool: { dir: string; file: string } | undefined;
  try {
    const largest = Math.max(limits.imageBytes, limits.videoBytes);
    if (declared !== undefined && declared > largest) throw tooLarge(largest);
    while (!done && size < HEAD_BYTES) {
      const chunk = await next();
      if (chunk) chunks.push(chunk);
    }
    const format = await sniffMediaFormat(Buffer.concat(chunks, size));
    if (format.kind === 'video' && limits.videoBytes === 0)
      throw new ImageProcessingError('E_UNSUPPORTED_FORMAT', 'Video sources are not accepted');
    if (format.kind === 'image') {
      const max = limits.imageBytes;
      if ((declared ?? 0) > max || size > max) throw tooLarge(max);
      for (let chunk = await next(); chunk; chunk = await next()) {
        if (size > max) throw tooLarge(max);
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks, size);
      return {
        kind: 'image',
        format,
        bytes,
        size,
        sha256: hash?.digest('hex') ?? '',
        c2pa: scanner.found,
      };
    }
    const max = limits.videoBytes;
    if ((declared ?? 0) > max || size > max) throw tooLarge(max);
    const dir = await mkdtemp(path.join(limits.tempDir ?? os.tmpdir(), 'media-source-'));
    spool = { dir, file: path.join(dir, `source.${format.ext}`) };
    const out = createWriteStream(spool.file, { flags: 'wx', mode: 0o600 });
    const closed = finished(out);
    closed.catch(() => {});
    const write = (chunk: Buffer) =>
      out.write(chunk) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', r));
    try {
      for (const chunk of chunks) await write(chunk);
      for (let chunk = await next(); chunk; chunk = await next()) {
        if (size > max) throw tooLarge(max);
        await write(chunk);
      }
    } finally {
      out.end();
    }
    await closed;
    const { dir: spoolDir } = spool;
    return {
      kind: 'video',
      format,
      file: spool.file,
      size,
      sha256: hash?.digest('hex') ?? '',
      c2pa: scanner.found,
      dispose: () => rm(spoolDir, { recursive: true, force: true }),
    };
  } catch (error) {
    stream.destroy?.();
    if (spool) await rm(spool.dir, { recursive: true, force: true });
    throw error;
  }
}
