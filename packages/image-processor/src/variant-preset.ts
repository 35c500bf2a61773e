/** Output formats a variant can have. */
export type VariantFormat = 'jpeg' | 'webp' | 'avif' | 'png';

/** How to make one variant. */
export interface VariantPreset {
  /** Name used in the key (`<name>-<stamp>.<ext>`): `[a-z0-9-]+`. */
  name: string;
  format: VariantFormat;
  /** Bounding box; the image is never enlarged. */
  maxWidth: number;
  maxHeight: number;
  /** How the image fits the box (default `inside`: keep aspect ratio, no crop). */
  fit?: 'inside' | 'cover' | 'contain';
  /** Encoder quality 1-100 (ignored for png). */
  quality?: number;
}

/**
 * The default variants, in this order: `normal` (JPEG via mozjpeg, q80, within
 * 1920×1920) and `high-quality` (WebP q90, within 4096×4096). Neither enlarges.
 */
export const DEFAULT_VARIANTS: readonly VariantPreset[] = Object.freeze([
  { name: 'normal', format: 'jpeg', maxWidth: 1920, maxHeight: 1920, fit: 'inside', quality: 80 },
  {
    name: 'high-quality',
    format: 'webp',
    maxWidth: 4096,
    maxHeight: 4096,
    fit: 'inside',
    quality: 90,
  },
]);

/** File extension and MIME type of each output format. */
export const FORMAT_INFO: Readonly<Record<VariantFormat, { ext: string; contentType: string }>> = {
  jpeg: { ext: 'jpg', contentType: 'image/jpeg' },
  webp: { ext: 'webp', contentType: 'image/webp' },
  avif: { ext: 'avif', contentType: 'image/avif' },
  png: { ext: 'png', contentType: 'image/png' },
};
