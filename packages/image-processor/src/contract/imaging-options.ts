import { badUrl } from './imaging-error.js';

/** Formats a transform can produce. */
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';

/** Extension and MIME type of each output format. */
export const OUTPUT_FORMATS: Readonly<Record<OutputFormat, { ext: string; contentType: string }>> =
  {
    jpeg: { ext: 'jpg', contentType: 'image/jpeg' },
    png: { ext: 'png', contentType: 'image/png' },
    webp: { ext: 'webp', contentType: 'image/webp' },
    avif: { ext: 'avif', contentType: 'image/avif' },
    gif: { ext: 'gif', contentType: 'image/gif' },
  };

const EXTENSIONS: Readonly<Record<string, OutputFormat>> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
};

/**
 * The format an extension (`jpg`, `webp`, …) names.
 *
 * @throws {ImagingError} `E_VALIDATION` for any other.
 */
export function outputFormatOf(ext: string): OutputFormat {
  const format = Object.hasOwn(EXTENSIONS, ext.toLowerCase())
    ? EXTENSIONS[ext.toLowerCase()]
    : undefined;
  if (!format)
    throw badUrl(
      `Unsupported format ${JSON.stringify(ext)}: use one of ${Object.keys(EXTENSIONS).join(', ')}`,
    );
  return format;
}

export type ResizingType = 'fit' | 'fill' | 'fill-down' | 'force' | 'auto';
export type GravityType = 'ce' | 'no' | 'so' | 'ea' | 'we' | 'noea' | 'nowe' | 'soea' | 'sowe';

/** Where a crop is taken: a compass point (with offsets), sharp's attention strategy, or a focus point. */
export type Gravity =
  | { type: GravityType; xOffset: number; yOffset: number }
  | { type: 'sm' }
  | { type: 'fp'; x: number; y: number };

/** A transform, normalised: what the options of one URL ask for. */
export interface TransformSpec {
  resizingType: ResizingType;
  /** Requested box in CSS pixels (0: follows the other side, or the source). */
  width: number;
  height: number;
  /** Device pixel ratio: the box is multiplied by it. */
  dpr: number;
  enlarge: boolean;
  gravity: Gravity;
  /** 1-100; 0: the format's default. */
  quality: number;
  /** Absent: chosen by the request's `Accept` (AVIF, WebP, else JPEG). */
  format?: OutputFormat;
  /** Gaussian blur sigma (0: none). */
  blur: number;
  /** Sharpen sigma (0: none). */
  sharpen: number;
  /** Fills transparency (and JPEG's missing alpha); absent: white for JPEG, kept otherwise. */
  background?: { r: number; g: number; b: number };
  /** Orient by EXIF (default true). */
  autoRotate: boolean;
  /** Unix time after which the URL is refused. */
  expires?: number;
  /** imgproxy's cache buster: a different value is a different render. */
  cacheBuster?: string;
}

/** Named presets (`pr:name`): each a list of option segments, expanded where it is named. */
export type ImagingPresets = Readonly<Record<string, readonly string[]>>;

/** Limits checked while parsing, before any source is read. */
export interface OptionLimits {
  /** Largest side of the result in pixels (default 16383, WebP's own limit). */
  maxDimension: number;
}

export const DEFAULT_SPEC: Readonly<TransformSpec> = Object.freeze({
  resizingType: 'fit',
  width: 0,
  height: 0,
  dpr: 1,
  enlarge: false,
  gravity: Object.freeze({ type: 'ce', xOffset: 0, yOffset: 0 }) as Gravity,
  quality: 0,
  blur: 0,
  sharpen: 0,
  autoRotate: true,
});

const RESIZING_TYPES: readonly ResizingType[] = ['fit', 'fill', 'fill-down', 'force', 'auto'];
const GRAVITIES: readonly GravityType[] = [
  'ce',
  'no',
  'so',
  'ea',
  'we',
  'noea',
  'nowe',
  'soea',
  'sowe',
];

const bool = (name: string, value: string | undefined): boolean => {
  if (value === '1' || value === 't' || value === 'true') return true;
  if (value === '0' || value === 'f' || value === 'false') return false;
  throw badUrl(`${name}: expected 1, t, true, 0, f or false, got ${JSON.stringify(value ?? '')}`);
};

const num = (
  name: string,
  value: string | undefined,
  { min, max, integer = true }: { min: number; max: number; integer?: boolean },
): number => {
  const parsed = value !== undefined && /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (
    !Number.isFinite(parsed) ||
    (integer && !Number.isInteger(parsed)) ||
    parsed < min ||
    parsed > max
  )
    throw badUrl(
      `${name}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value ?? '')}`,
    );
  return parsed;
};

const offset = (name: string, value: string | undefined): number => {
  if (value === undefined || value === '') return 0;
  if (!/^-?\d{1,5}$/.test(value))
    throw badUrl(`${name}: expected an integer offset, got ${JSON.stringify(value)}`);
  return Number(value);
};

function gravity(args: readonly string[]): Gravity {
  const [type, a, b, ...rest] = args;
  if (type === 'sm') {
    if (args.length > 1) throw badUrl('gravity sm takes no arguments');
    return { type: 'sm' };
  }
  if (type === 'fp') {
    if (rest.length) throw badUrl('gravity fp takes x and y');
    const x = num('gravity fp x', a, { min: 0, max: 1, integer: false });
    const y = num('gravity fp y', b, { min: 0, max: 1, integer: false });
    return { type: 'fp', x, y };
  }
  if (!GRAVITIES.includes(type as GravityType) || rest.length)
    throw badUrl(
      `gravity: expected one of ${[...GRAVITIES, 'sm', 'fp:x:y'].join(', ')} (and x, y offsets), got ${JSON.stringify(args.join(':'))}`,
    );
  return {
    type: type as GravityType,
    xOffset: offset('gravity x offset', a),
    yOffset: offset('gravity y offset', b),
  };
}

function background(args: readonly string[]): TransformSpec['background'] {
  if (args.length === 1 && args[0] === '') return undefined;
  if (args.length === 1 && /^[0-9a-fA-F]{6}$/.test(args[0]!)) {
    const hex = args[0]!;
    return {
      r: parseInt(hex.slice(0, 2), 16),
      g: parseInt(hex.slice(2, 4), 16),
      b: parseInt(hex.slice(4, 6), 16),
    };
  }
  if (args.length === 3) {
    const [r, g, b] = args.map((v, i) => num(`background ${'rgb'[i]}`, v, { min: 0, max: 255 }));
    return { r: r!, g: g!, b: b! };
  }
  throw badUrl(
    `background: expected R:G:B or a 6-digit hex colour, got ${JSON.stringify(args.join(':'))}`,
  );
}

const noExtend = (name: string, value: string | undefined) => {
  if (value !== undefined && value !== '' && bool(`${name} extend`, value))
    throw badUrl(`${name}: extend is not supported`);
};

type Apply = (spec: TransformSpec, args: readonly string[], limits: OptionLimits) => void;

const dimension = (name: string, value: string | undefined, limits: OptionLimits) =>
  value === undefined || value === '' ? 0 : num(name, value, { min: 0, max: limits.maxDimension });

const maxArgs = (name: string, args: readonly string[], count: number) => {
  if (args.length > count)
    throw badUrl(`${name}: takes at most ${count} arguments, got ${args.length}`);
};

const OPTIONS: Readonly<Record<string, Apply>> = {
  resize(spec, args, limits) {
    maxArgs('resize', args, 5);
    const [type, w, h, el, ex] = args;
    if (type) {
      if (!RESIZING_TYPES.includes(type as ResizingType))
        throw badUrl(
          `resize: resizing type must be one of ${RESIZING_TYPES.join(', ')}, got ${JSON.stringify(type)}`,
        );
      spec.resizingType = type as ResizingType;
    }
    if (w !== undefined) spec.width = dimension('resize width', w, limits);
    if (h !== undefined) spec.height = dimension('resize height', h, limits);
    if (el) spec.enlarge = bool('resize enlarge', el);
    noExtend('resize', ex);
  },
  size(spec, args, limits) {
    maxArgs('size', args, 4);
    const [w, h, el, ex] = args;
    if (w !== undefined) spec.width = dimension('size width', w, limits);
    if (h !== undefined) spec.height = dimension('size height', h, limits);
    if (el) spec.enlarge = bool('size enlarge', el);
    noExtend('size', ex);
  },
  resizing_type(spec, args) {
    maxArgs('resizing_type', args, 1);
    if (!RESIZING_TYPES.includes(args[0] as ResizingType))
      throw badUrl(
        `resizing_type: expected one of ${RESIZING_TYPES.join(', ')}, got ${JSON.stringify(args[0])}`,
      );
    spec.resizingType = args[0] as ResizingType;
  },
  width(spec, args, limits) {
    maxArgs('width', args, 1);
    spec.width = dimension('width', args[0], limits);
  },
  height(spec, args, limits) {
    maxArgs('height', args, 1);
    spec.height = dimension('height', args[0], limits);
  },
  dpr(spec, args) {
    maxArgs('dpr', args, 1);
    spec.dpr = num('dpr', args[0], { min: 0.1, max: 8, integer: false });
  },
  enlarge(spec, args) {
    maxArgs('enlarge', args, 1);
    spec.enlarge = bool('enlarge', args[0]);
  },
  gravity(spec, args) {
    spec.gravity = gravity(args);
  },
  quality(spec, args) {
    maxArgs('quality', args, 1);
    spec.quality = num('quality', args[0], { min: 0, max: 100 });
  },
  format(spec, args) {
    maxArgs('format', args, 1);
    spec.format = outputFormatOf(args[0] ?? '');
  },
  blur(spec, args) {
    maxArgs('blur', args, 1);
    spec.blur = num('blur', args[0], { min: 0, max: 100, integer: false });
  },
  sharpen(spec, args) {
    maxArgs('sharpen', args, 1);
    spec.sharpen = num('sharpen', args[0], { min: 0, max: 10, integer: false });
  },
  background(spec, args) {
    spec.background = background(args);
  },
  auto_rotate(spec, args) {
    maxArgs('auto_rotate', args, 1);
    spec.autoRotate = bool('auto_rotate', args[0]);
  },
  expires(spec, args) {
    maxArgs('expires', args, 1);
    spec.expires = num('expires', args[0], { min: 0, max: 2 ** 40 });
  },
  cachebuster(spec, args) {
    maxArgs('cachebuster', args, 1);
    if (!/^[A-Za-z0-9._-]{0,64}$/.test(args[0] ?? ''))
      throw badUrl('cachebuster: expected up to 64 characters from [A-Za-z0-9._-]');
    spec.cacheBuster = args[0] || undefined;
  },
};

/** imgproxy's short names of the options above (`rs`, `w`, `g`, …). */
const ALIASES: Readonly<Record<string, string>> = {
  rs: 'resize',
  s: 'size',
  rt: 'resizing_type',
  w: 'width',
  h: 'height',
  el: 'enlarge',
  g: 'gravity',
  q: 'quality',
  f: 'format',
  ext: 'format',
  bl: 'blur',
  sh: 'sharpen',
  bg: 'background',
  ar: 'auto_rotate',
  exp: 'expires',
  cb: 'cachebuster',
  pr: 'preset',
};

/** True for a path segment that is an option (`name:args`) rather than the start of a source. */
export function isOptionSegment(segment: string): boolean {
  return /^[a-z_]+:/.test(segment);
}

/**
 * Applies imgproxy processing options (`rs:fill:300:200`, `w:300`, `g:sm`, `pr:thumb`, …) in order over the
 * defaults; presets expand where they are named (a `default` preset, when configured, applies first).
 *
 * @throws {ImagingError} `E_VALIDATION` naming the unknown or malformed option: nothing is read or decoded.
 */
export function parseTransformOptions(
  segments: readonly string[],
  presets: ImagingPresets = {},
  limits: OptionLimits = { maxDimension: 16383 },
): TransformSpec {
  const spec: TransformSpec = { ...DEFAULT_SPEC };
  const apply = (list: readonly string[], depth: number) => {
    for (const segment of list) {
      const [rawName = '', ...args] = segment.split(':');
      const name = ALIASES[rawName] ?? rawName;
      if (name === 'preset') {
        if (args.length === 0 || args.some((a) => !a))
          throw badUrl('preset: name at least one preset');
        for (const preset of args) {
          const expansion = Object.hasOwn(presets, preset) ? presets[preset] : undefined;
          if (!expansion) throw badUrl(`preset: unknown preset ${JSON.stringify(preset)}`);
          if (depth > 3) throw badUrl(`preset: ${preset} nests presets too deeply`);
          apply(expansion, depth + 1);
        }
        continue;
      }
      const option = Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined;
      if (!option) throw badUrl(`Unknown processing option ${JSON.stringify(rawName)}`);
      option(spec, args, limits);
    }
  };
  if (Object.hasOwn(presets, 'default')) apply(presets.default!, 1);
  apply(segments, 0);
  return spec;
}

/**
 * Parses `IMAGING_PRESETS`: `name=option/option,…` (imgproxy's `IMGPROXY_PRESETS`), e.g.
 * `thumb=rs:fill:200:200/q:70,avatar=rs:fill:96:96/g:sm`. Each preset is checked by parsing it.
 *
 * @throws {Error} naming the first bad preset.
 */
export function parseImagingPresets(raw: string): ImagingPresets {
  const presets: Record<string, string[]> = {};
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq);
    if (eq <= 0 || !/^[A-Za-z0-9_-]{1,64}$/.test(name))
      throw new Error(`preset ${JSON.stringify(entry)}: expected name=option/option`);
    presets[name] = entry
      .slice(eq + 1)
      .split('/')
      .filter(Boolean);
  }
  for (const [name, segments] of Object.entries(presets)) {
    try {
      parseTransformOptions(segments, name === 'default' ? {} : { ...presets, default: [] });
    } catch (error) {
      throw new Error(`preset ${name}: ${(error as Error).message}`);
    }
  }
  return presets;
}

/**
 * The transform as a stable string for cache keys: every field that changes the pixels or the encoding, in a
 * fixed order (never `expires`, which only limits who may ask).
 */
export function canonicalTransform(spec: TransformSpec, format: OutputFormat): string {
  const g = spec.gravity;
  const gravityText =
    g.type === 'sm'
      ? 'sm'
      : g.type === 'fp'
        ? `fp:${g.x}:${g.y}`
        : `${g.type}:${g.xOffset}:${g.yOffset}`;
  const bg = spec.background
    ? `${spec.background.r}:${spec.background.g}:${spec.background.b}`
    : '';
  return [
    `rs:${spec.resizingType}:${spec.width}:${spec.height}:${spec.enlarge ? 1 : 0}`,
    `dpr:${spec.dpr}`,
    `g:${gravityText}`,
    `q:${spec.quality}`,
    `f:${format}`,
    `bl:${spec.blur}`,
    `sh:${spec.sharpen}`,
    `bg:${bg}`,
    `ar:${spec.autoRotate ? 1 : 0}`,
    `cb:${spec.cacheBuster ?? ''}`,
  ].join('/');
}
