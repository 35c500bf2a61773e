import { ImageProcessingError } from './contract/image-processing-error.js';

/**
 * Reads a source stream into memory, refusing it with `E_SOURCE_TOO_LARGE` as
 * soon as it passes `maxBytes` (or at once when its declared size already does).
 */
export async function readWithinLimit(
  stream: NodeJS.ReadableStream & { destroy?: () => void },
  maxBytes: number,
  declaredBytes?: number,
): Promise<Buffer> {
  const tooLarge = () => {
    stream.destroy?.();
    return new ImageProcessingError(
      'E_SOURCE_TOO_LARGE',
      `Source is larger than ${maxBytes} bytes`,
    );
  };
  if (declaredBytes !== undefined && Number.isFinite(declaredBytes) && declaredBytes > maxBytes)
    throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
