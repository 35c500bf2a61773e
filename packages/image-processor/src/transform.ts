import sharp from 'sharp';
import { decodeOnce, encodeAs, readHeader, sharpError } from './codecs.js';
import type { CodecSettings } from './codecs.js';
import { ImagingError } from './contract/imaging-error.js';
import type { OutputFormat, TransformSpec } from './contract/imaging-options.js';
import { planTransform } from './transform-plan.js';
import { shrinkOnLoad } from './variant-plan.js';

/** Limits of one render: the codec's (source pixels, timeouts, `failOn`) and the result's size. */
export interface TransformSettings extends CodecSettings {
  /** Largest result (and intermediate resize) in pixels. */
  maxOutputPixels: number;
  /** Largest side of the result (WebP cannot exceed 16383). */
  maxDimension?: number;
}

/** One rendered image. */
export interface Rendered {
  data: Buffer;
  format: OutputFormat;
  width: number;
  height: number;
}

/**
 * Renders one transform of a source in memory with the processor's own rules: the header read first (pixel limit
 * before decoding), one decode (oriented, sRGB, 8-bit, first frame) that shrinks on load when the result needs at
 * most half the source, then resize, crop, blur, sharpen and the encoding rule of every output. Only `xmp`
 * (provenance) is written: nothing of the source's metadata survives.
 *
 * @throws {ImagingError} `E_VALIDATION` when the result would be larger than allowed (checked before decoding).
 * @throws {ImageProcessingError} `E_CORRUPT_IMAGE`, `E_TOO_MANY_PIXELS`, `E_TIMEOUT`.
 */
export async function renderTransform(
  source: Buffer,
  spec: TransformSpec,
  format: OutputFormat,
  settings: TransformSettings,
  xmp?: string,
): Promise<Rendered> {
  const header = await readHeader(source, settings);
  const turned = !spec.autoRotate && header.orientation >= 5;
  const size = turned ? { width: header.height, height: header.width } : header;
  const plan = planTransform(spec, size);
  const maxDimension = settings.maxDimension ?? 16383;
  const largest = Math.max(plan.resize.width * plan.resize.height, plan.width * plan.height);
  if (largest > settings.maxOutputPixels || plan.width > maxDimension || plan.height > maxDimension)
    throw new ImagingError(
      'E_VALIDATION',
      `The result would be ${plan.resize.width}x${plan.resize.height} pixels, more than the ${settings.maxOutputPixels} (and ${maxDimension} per side) allowed`,
    );
  // The processor's rule decides whether to shrink on load; then straight to the resize (no second resample).
  const shrink = shrinkOnLoad(
    [
      {
        name: 'r',
        format: 'webp',
        maxWidth: plan.resize.width,
        maxHeight: plan.resize.height,
        fit: 'cover',
      },
    ],
    size.width,
    size.height,
  );
  const shrinkTo = shrink && plan.resize;
  const decoded = await decodeOnce(source, settings, shrinkTo, { orient: spec.autoRotate });
  const { width, height, channels } = decoded.info;
  let pipeline = sharp(decoded.data, {
    raw: { width, height, channels: channels as 1 | 2 | 3 | 4 },
  });
  if (plan.smart && plan.crop) {
    pipeline = pipeline.resize({
      width: plan.crop.width,
      height: plan.crop.height,
      fit: 'cover',
      position: sharp.strategy.attention,
    });
  } else {
    if (width !== plan.resize.width || height !== plan.resize.height)
      pipeline = pipeline.resize({ ...plan.resize, fit: 'fill' });
    if (plan.crop) pipeline = pipeline.extract(plan.crop);
  }
  if (spec.blur > 0) pipeline = pipeline.blur(Math.max(0.3, spec.blur));
  if (spec.sharpen > 0) pipeline = pipeline.sharpen({ sigma: spec.sharpen });
  if (xmp) pipeline = pipeline.withXmp(xmp);
  pipeline = encodeAs(pipeline, format, spec.quality, spec.background).timeout({
    seconds: settings.timeoutSeconds,
  });
  try {
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return { data, format, width: info.width, height: info.height };
  } catch (error) {
    throw sharpError(error, 'E_CORRUPT_IMAGE', 'Rendering failed', settings);
  }
}
