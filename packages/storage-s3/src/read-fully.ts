import type { Readable } from 'node:stream';

/** Reads a body of a known length into one buffer, copying each chunk once (no chunk list, no concat). */
export function readFully(body: NodeJS.ReadableStream, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    body.on('data', (chunk: Buffer) => {
      if (filled + chunk.length > length) {
        (body as Readable).destroy(new Error(`S3 sent more than the ${length} bytes it announced`));
        return;
      }
      filled += chunk.copy(out, filled);
    });
    body.once('error', reject);
    body.once('end', () =>
      filled === length
        ? resolve(out)
        : reject(
            Object.assign(new Error(`S3 sent ${filled} of the ${length} bytes it announced`), {
              code: 'ECONNRESET',
            }),
          ),
    );
  });
}
