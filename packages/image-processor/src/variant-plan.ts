import { createHash } from 'node:crypto';
import type { NegotiatedVariant, StoredVariant } from './contract/image-job.js';
import { FORMAT_INFO } from './contract/variant-presets.js';
import type { VariantPreset } from './contract/variant-presets.js';

/** One output to make: its preset, its key without the extension (shared by the name's formats) and its key. */
export interface PlannedVariant {
  preset: VariantPreset;
  base: string;
  key: string;
}

/** The scale (≤ 1) a preset needs of a `width`×`height` source: `cover` fills its box, the others fit in it. */
export function neededScale(preset: VariantPreset, width: number, height: number): number {
  const sx = preset.maxWidth / width;
  const sy = preset.maxHeight / height;
  return Math.min(1, (preset.fit ?? 'inside') === 'cover' ? Math.max(sx, sy) : Math.min(sx, sy));
}

/**
 * The size to decode at: every output is at most half the source in each dimension, so the decoder can shrink
 * on load (JPEG DCT scaling, WebP scaled decoding) to the largest one needs; otherwise full size (`undefined`).
 */
export function shrinkOnLoad(
  presets: readonly VariantPreset[],
  width: number,
  height: number,
): { width: number; height: number } | undefined {
  const scale = Math.max(...presets.map((p) => neededScale(p, width, height)));
  if (scale > 0.5) return undefined;
  return { width: Math.ceil(width * scale), height: Math.ceil(height * scale) };
}

/**
 * Keys for a job's presets: `<prefix><name>-<stamp>.<ext>`, the stamp derived from the job id, the presets of
 * that name and the source digest, so one name's formats share `<prefix><name>-<stamp>` (the CDN's negotiated
 * URL) and a retry writes the same keys. A `fit: inside` preset that would repeat an earlier one of the same
 * format at the same size (the source is smaller than both boxes) is left out.
 */
export function planVariants(
  presets: readonly VariantPreset[],
  source: { width: number; height: number; digest: string },
  jobId: string,
  prefix: string,
): PlannedVariant[] {
  const made = new Set<string>();
  const planned: PlannedVariant[] = [];
  for (const preset of presets) {
    if ((preset.fit ?? 'inside') === 'inside') {
      const scale = neededScale(preset, source.width, source.height);
      const size = `${preset.format}:${Math.round(source.width * scale)}x${Math.round(source.height * scale)}`;
      if (made.has(size)) continue;
      made.add(size);
    }
    const group = presets.filter((p) => p.name === preset.name);
    const stamp = createHash('sha256')
      .update(
        `${jobId}\0${JSON.stringify(group.length === 1 ? group[0] : group)}\0${source.digest}`,
      )
      .digest('hex')
      .slice(0, 12);
    const base = `${prefix}${preset.name}-${stamp}`;
    planned.push({ preset, base, key: `${base}.${FORMAT_INFO[preset.format].ext}` });
  }
  return planned;
}

/** Names stored with a JPEG fallback, each with its extensionless URL for the CDN to negotiate. */
export function negotiated(
  planned: readonly PlannedVariant[],
  variants: readonly StoredVariant[],
  urlOf: (key: string) => string,
): NegotiatedVariant[] {
  const result: NegotiatedVariant[] = [];
  for (const [i, plan] of planned.entries()) {
    if (plan.preset.format !== 'jpeg') continue;
    const formats = planned.filter((p) => p.base === plan.base).map((p) => p.preset.format);
    const jpeg = variants[i]!;
    result.push({
      name: plan.preset.name,
      key: plan.base,
      url: urlOf(plan.base),
      width: jpeg.width,
      height: jpeg.height,
      formats,
    });
  }
  return result;
}
