import { Readable } from 'node:stream';

/** What can be uploaded: bytes in memory, a string (UTF-8), or any Node readable stream. */
export type Body = Buffer | Uint8Array | string | NodeJS.ReadableStream;

/** True when the body is a stream rather than bytes in memory. */
export function isStreamBody(body: Body): body is NodeJS.ReadableStream {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as NodeJS.ReadableStream).pipe === 'function'
  );
}

/** Returns in-memory bodies as a Buffer (no copy for Buffer/Uint8Array), or `undefined` for streams. */
export function bodyToBuffer(body: Body): Buffer | undefined {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return undefined;
}

/** Returns any body as a Node `Readable` (streams are wrapped, never read ahead). */
export function bodyToReadable(body: Body): Readable {
  const bytes = bodyToBuffer(body);
  if (bytes) return Readable.from([bytes], { objectMode: false });
  return body instanceof Readable
    ? body
    : Readable.from(body as AsyncIterable<Buffer>, { objectMode: false });
}

/** Reads a stream to the end into one Buffer. Meant for small objects only. */
export async function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
