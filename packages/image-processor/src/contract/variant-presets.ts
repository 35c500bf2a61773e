import { ImageProcessingError } from './image-processing-error.js';
import { isImageTool } from './image-tool.js';
import type { ImageTool } from './image-tool.js';

/** Output formats a variant can have. */
export type VariantFormat = 'jpeg' | 'webp' | 'avif' | 'png';

/** How to make one variant. */
export interface VariantPreset {
  /**
   * Name used in the key (`<name>-<stamp>.<ext>`): `[a-z0-9-]+`. Presets that share a name are one image in
   * several formats (one box): the CDN serves them under one extensionless URL, chosen by the `Accept` header.
   */
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

/** File extension and MIME type of each output format. */
export const FORMAT_INFO: Readonly<Record<VariantFormat, { ext: string; contentType: string }>> = {
  jpeg: { ext: 'jpg', contentType: 'image/jpeg' },
  webp: { ext: 'webp', contentType: 'image/webp' },
  avif: { ext: 'avif', contentType: 'image/avif' },
  png: { ext: 'png', contentType: 'image/png' },
};

/**
 * The seed's variants, in this order: `normal` (JPEG via mozjpeg, q80, within 1920×1920) and `high-quality`
 * (WebP q90, within 4096×4096). Neither enlarges.
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

/** Widths of the `responsive` set. */
export const RESPONSIVE_WIDTHS: readonly number[] = Object.freeze([320, 640, 1024, 1920]);

/**
 * The `responsive` set: every width of {@link RESPONSIVE_WIDTHS} (named `w<width>`, height at most 3× the
 * width) in AVIF q50, WebP q80 and a JPEG q80 fallback.
 */
export const RESPONSIVE_VARIANTS: readonly VariantPreset[] = Object.freeze(
  RESPONSIVE_WIDTHS.flatMap((width) =>
    (
      [
        ['avif', 50],
        ['webp', 80],
        ['jpeg', 80],
      ] as const
    ).map(([format, quality]) => ({
      name: `w${width}`,
      format,
      maxWidth: width,
      maxHeight: width * 3,
      fit: 'inside' as const,
      quality,
    })),
  ),
);

/** Preset sets every deployment has: `default` (the seed's two variants) and `responsive`. */
export const BUILTIN_PRESET_SETS: Readonly<Record<string, readonly VariantPreset[]>> =
  Object.freeze({
    default: DEFAULT_VARIANTS,
    responsive: RESPONSIVE_VARIANTS,
  });

/** Names of presets and preset sets: `[a-z0-9][a-z0-9-]{0,63}`. */
export const PRESET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Which preset sets exist and which one each tool uses when a job names none. */
export interface PresetConfig {
  /** Every set by name ({@link BUILTIN_PRESET_SETS} plus the deployment's own). */
  sets: Readonly<Record<string, readonly VariantPreset[]>>;
  /** A tool's set when the job names none; `default` otherwise. */
  byTool: Readonly<Partial<Record<ImageTool, string>>>;
}

const invalid = (message: string) => new ImageProcessingError('E_INVALID_JOB', message);

/**
 * Checks one preset set: names and formats known, dimensions 1-16384, quality 1-100, no two presets with one
 * name and format, and presets that share a name share their box (so one URL is one image in any format).
 *
 * @throws {ImageProcessingError} `E_INVALID_JOB` naming the set and the preset.
 */
export function validatePresetSet(setName: string, presets: readonly VariantPreset[]): void {
  if (!PRESET_NAME.test(setName))
    throw invalid(`Invalid preset set name ${JSON.stringify(setName)}`);
  if (presets.length === 0) throw invalid(`Preset set ${setName} is empty`);
  const boxes = new Map<string, string>();
  const seen = new Set<string>();
  for (const preset of presets) {
    const what = `preset ${JSON.stringify(preset?.name)} of set ${setName}`;
    const dimension = (n: unknown) =>
      Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 16384;
    if (
      typeof preset?.name !== 'string' ||
      !PRESET_NAME.test(preset.name) ||
      !Object.hasOwn(FORMAT_INFO, preset.format) ||
      !dimension(preset.maxWidth) ||
      !dimension(preset.maxHeight) ||
      (preset.fit !== undefined && !['inside', 'cover', 'contain'].includes(preset.fit)) ||
      (preset.quality !== undefined &&
        (!Number.isInteger(preset.quality) || preset.quality < 1 || preset.quality > 100))
    )
      throw invalid(`Invalid ${what}`);
    const id = `${preset.name}.${preset.format}`;
    if (seen.has(id)) throw invalid(`Duplicate ${what} (${preset.format})`);
    seen.add(id);
    const box = `${preset.maxWidth}x${preset.maxHeight}:${preset.fit ?? 'inside'}`;
    if ((boxes.get(preset.name) ?? box) !== box)
      throw invalid(`Presets named ${preset.name} in set ${setName} must share one box`);
    boxes.set(preset.name, box);
  }
}

/** The built-in sets plus `extra` (which may replace them), each checked by {@link validatePresetSet}. */
export function presetConfig(
  extra: Readonly<Record<string, readonly VariantPreset[]>> = {},
  byTool: Readonly<Partial<Record<ImageTool, string>>> = {},
): PresetConfig {
  const sets = { ...BUILTIN_PRESET_SETS, ...extra };
  for (const [name, presets] of Object.entries(sets)) validatePresetSet(name, presets);
  for (const [tool, set] of Object.entries(byTool)) {
    if (!isImageTool(tool))
      throw invalid(`Unknown tool ${JSON.stringify(tool)} in the preset sets`);
    if (!Object.hasOwn(sets, set as string))
      throw invalid(`Tool ${tool} names unknown preset set ${JSON.stringify(set)}`);
  }
  return { sets, byTool };
}

/**
 * The set a job uses: the one it names, else its tool's, else `default`.
 *
 * @throws {ImageProcessingError} `E_INVALID_JOB` for a set the deployment does not have.
 */
export function resolvePresetSet(
  config: PresetConfig,
  job: { tool: string; presets?: string | undefined },
): { name: string; presets: readonly VariantPreset[] } {
  const name = job.presets ?? config.byTool[job.tool as ImageTool] ?? 'default';
  const presets = Object.hasOwn(config.sets, name) ? config.sets[name] : undefined;
  if (!presets) throw invalid(`Unknown preset set ${JSON.stringify(name)}`);
  return { name, presets };
}
