import { z } from 'zod';

/**
 * The job result's shapes, once: the types below are inferred from these schemas, the API's answer schemas take
 * {@link processResultSchema} as a job's `result` (from which its OpenAPI document and the typed client's
 * `ImageJobResult` are generated), and the end-to-end tests parse real results with them (closed objects: a field
 * the worker adds without a schema fails those tests).
 */
/** In API answers about private outputs, when the signed `url` stops working (ISO 8601). */
const expiresAt = () =>
  z
    .string()
    .optional()
    .describe('When the signed url stops working (private outputs, in API answers)');

/** Sizes and counts: whole numbers from 0. */
const count = () => z.number().int().nonnegative();

const placeholderSchema = z.strictObject({
  blurhash: z.string().describe('A BlurHash (4×3 components) of the image'),
  lqip: z
    .string()
    .describe('A tiny WebP as a data URI (at most 1 KB), for low-quality image placeholders'),
  dominantColor: z.string().describe('The dominant colour, `#rrggbb`'),
});

const storedVariantSchema = z.strictObject({
  name: z.string(),
  key: z.string(),
  url: z.string(),
  expiresAt: expiresAt(),
  format: z.string(),
  contentType: z.string(),
  width: count(),
  height: count(),
  bytes: count(),
});

const negotiatedVariantSchema = z.strictObject({
  name: z.string(),
  key: z.string().describe("The formats' common key without its extension"),
  url: z
    .string()
    .describe('Served by the CDN as AVIF, WebP or JPEG according to Accept (Vary: Accept)'),
  expiresAt: expiresAt(),
  width: count(),
  height: count(),
  formats: z
    .array(z.string())
    .describe('The formats stored under this name; JPEG is always one of them'),
});

const videoResultSchema = z.strictObject({
  key: z.string(),
  url: z.string().describe('Served with byte ranges'),
  expiresAt: expiresAt(),
  format: z.string(),
  contentType: z.string(),
  bytes: count(),
  durationSeconds: z.number().nonnegative(),
  width: count(),
  height: count(),
  codec: z.string(),
  posterAtSeconds: z.number().describe('Where in the video the poster frame was taken'),
});

const provenanceSchema = z.strictObject({
  digitalSourceType: z
    .string()
    .describe("IPTC `DigitalSourceType`, written into every output's XMP"),
  creatorTool: z.string().describe('The generating tool, written as XMP `CreatorTool`'),
  model: z
    .string()
    .optional()
    .describe('The model, when the job names it (XMP and object metadata)'),
  sourceSha256: z
    .string()
    .describe('SHA-256 of the source bytes (object metadata `source-sha256`)'),
  c2pa: z
    .enum(['present', 'absent'])
    .describe(
      'Whether the source carried a C2PA manifest (kept, untouched, in the stored original)',
    ),
});

/** What a finished job produced (the `result` of a completed job). */
export const processResultSchema = z.strictObject({
  jobId: z.string(),
  tool: z.string(),
  userId: z.string(),
  source: z
    .strictObject({
      format: z.string(),
      width: count(),
      height: count(),
      bytes: count(),
    })
    .describe('The source as decoded (width and height after EXIF orientation)'),
  original: z
    .strictObject({
      key: z.string(),
      url: z.string(),
      expiresAt: expiresAt(),
      format: z.string(),
      bytes: count(),
    })
    .optional()
    .describe('The kept copy of a `sourceUrl` source'),
  presetSet: z
    .string()
    .describe('The preset set used (`default` unless the job or its tool names another)'),
  variants: z
    .array(storedVariantSchema)
    .describe(
      'One entry per preset, in preset order. A preset that would repeat an earlier one of the same format at the same size (a small source) is not made',
    ),
  srcset: z
    .record(z.string(), z.string())
    .describe('Per format, a ready `srcset` (`<url> <width>w, ...`), widest last'),
  negotiated: z
    .array(negotiatedVariantSchema)
    .describe(
      'Names stored with a JPEG fallback, each under one URL the CDN serves in the best accepted format',
    ),
  video: videoResultSchema
    .optional()
    .describe('For a video source: the video; the variants are then made from its poster frame'),
  visibility: z
    .enum(['public', 'private'])
    .describe(
      "Who may read the outputs without a signed URL; a private job's URLs in answers are signed",
    ),
  provenance: provenanceSchema.describe(
    'Where the outputs came from, as written into their XMP and metadata',
  ),
  placeholder: placeholderSchema.describe('What to show while the image loads'),
});

/** {@link processResultSchema} as JSON Schema (draft 2020-12, as OpenAPI 3.1 takes it). */
export function processResultJsonSchema(): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(processResultSchema);
  return schema;
}

/** What a page shows while an image loads, computed from the pixels already decoded (no second decode). */
export type Placeholder = z.infer<typeof placeholderSchema>;

/** A stored output. */
export type StoredVariant = z.infer<typeof storedVariantSchema>;

/**
 * One variant name served in the best format the browser accepts: the CDN answers the extensionless `url` with
 * AVIF, WebP or JPEG according to `Accept` (with `Vary: Accept`), falling back to JPEG.
 */
export type NegotiatedVariant = z.infer<typeof negotiatedVariantSchema>;

/** A video source: where it is served (with byte ranges) and what ffprobe found; its poster made the variants. */
export type VideoResult = z.infer<typeof videoResultSchema>;

/** What the outputs of a job say about where they came from. */
export type Provenance = z.infer<typeof provenanceSchema>;

/** What a finished job produced. */
export type ProcessResult = z.infer<typeof processResultSchema>;
