import { fileTypeFromBuffer } from 'file-type';
import { ImageProcessingError } from './image-processing-error.js';

/** Raster formats accepted as sources, by their file-type `ext`. */
const IMAGES: Readonly<Record<string, string>> = {
  jpg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tif: 'tiff',
};

/** Video containers accepted as sources (a poster frame makes the variants), by their file-type `ext`. */
const VIDEOS: Readonly<Record<string, string>> = { mp4: 'mp4', mov: 'mov', webm: 'webm' };

/** A sniffed source: what it is, its extension and MIME type. */
export interface SniffedFormat {
  kind: 'image' | 'video';
  format: string;
  ext: string;
  mime: string;
}

/**
 * Decides a source's format from its magic bytes alone — never from a file name or a `Content-Type` header:
 * a raster image (JPEG, PNG, WebP, GIF, AVIF, TIFF) or a video container (MP4, MOV, WebM). SVG (it can carry
 * script and is not a raster), PDF, text and everything else are refused.
 *
 * @throws {ImageProcessingError} `E_UNSUPPORTED_FORMAT`.
 */
export async function sniffMediaFormat(bytes: Uint8Array): Promise<SniffedFormat> {
  const type = await fileTypeFromBuffer(bytes.subarray(0, 64 * 1024));
  const image = type ? IMAGES[type.ext] : undefined;
  if (type && image)
    return {
      kind: 'image',
      format: image,
      ext: type.ext === 'tif' ? 'tiff' : type.ext,
      mime: type.mime,
    };
  const video = type ? VIDEOS[type.ext] : undefined;
  if (type && video) return { kind: 'video', format: video, ext: type.ext, mime: type.mime };
  throw new ImageProcessingError(
    'E_UNSUPPORTED_FORMAT',
    type ? `Unsupported source format ${type.mime}` : 'Source is not a recognised image or video',
  );
}

/**
 * Like {@link sniffMediaFormat}, for raster images only.
 *
 * @throws {ImageProcessingError} `E_UNSUPPORTED_FORMAT`.
 */
export async function sniffImageFormat(bytes: Uint8Array): Promise<SniffedFormat> {
  const sniffed = await sniffMediaFormat(bytes);
  if (sniffed.kind !== 'image')
    throw new ImageProcessingError(
      'E_UNSUPPORTED_FORMAT',
      `Unsupported source format ${sniffed.mime}`,
    );
  return sniffed;
}
