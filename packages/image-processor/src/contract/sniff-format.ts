import { fileTypeFromBuffer } from 'file-type';
import { ImageProcessingError } from './image-processing-error.js';

/** Raster formats accepted as sources, by their file-type `ext`. */
const ACCEPTED: Readonly<Record<string, string>> = {
  jpg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tif: 'tiff',
};

/**
 * Decides a source's format from its magic bytes alone — never from a file
 * name or a `Content-Type` header. SVG (it can carry script and is not a
 * raster), PDF, text and everything else are refused.
 *
 * @throws {ImageProcessingError} `E_UNSUPPORTED_FORMAT`.
 */
export async function sniffImageFormat(
  bytes: Uint8Array,
): Promise<{ format: string; ext: string; mime: string }> {
  const type = await fileTypeFromBuffer(bytes.subarray(0, 64 * 1024));
  const format = type ? ACCEPTED[type.ext] : undefined;
  if (!type || !format) {
    throw new ImageProcessingError(
      'E_UNSUPPORTED_FORMAT',
      type ? `Unsupported source format ${type.mime}` : 'Source is not a recognised raster image',
    );
  }
  return { format, ext: type.ext === 'tif' ? 'tiff' : type.ext, mime: type.mime };
}
