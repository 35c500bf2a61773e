import { z } from 'zod';
import { IMAGE_TOOLS } from './image-tool.js';
import type { ImageTool } from './image-tool.js';
import { PRESET_NAME } from './variant-presets.js';

/** Ids of users and jobs: 1-128 characters from `[A-Za-z0-9_-]`, safe as one key segment. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** True when `value` is a valid user or job id ({@link ID_PATTERN}). */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

const id = z.string().regex(ID_PATTERN, { error: 'must match [A-Za-z0-9_-]{1,128}' });
type Sources = { sourceUrl?: unknown; sourceKey?: unknown };
const hasOneSource = (job: Sources) =>
  (job.sourceUrl === undefined) !== (job.sourceKey === undefined);
const ONE_SOURCE = {
  error: 'exactly one of sourceUrl and sourceKey is required',
  path: ['sourceUrl'],
};

/**
 * What a client asks for: a tool and exactly one source. `sourceUrl` is checked further by
 * `checkSourceUrl` (scheme, credentials, port, address), which needs the deployment's policy.
 */
export const imageJobRequestShape = {
  tool: z.enum(IMAGE_TOOLS as readonly `${ImageTool}`[] as [`${ImageTool}`, ...`${ImageTool}`[]]),
  /** An http(s) URL to fetch (SSRF-checked); the fetched bytes are kept under `generated/`. */
  sourceUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  /** An object already in storage (e.g. an upload); not copied. */
  sourceKey: z.string().min(1).max(1024).optional(),
  /**
   * Who may read the outputs without a signed URL (default: the deployment's, `IMAGE_DEFAULT_VISIBILITY`, else
   * the key layout's: public).
   */
  visibility: z.enum(['public', 'private']).optional(),
  /** The preset set to make (default: the tool's, else `default`); see `IMAGE_PRESETS`. */
  presets: z
    .string()
    .regex(PRESET_NAME, { error: 'must match [a-z0-9][a-z0-9-]{0,63}' })
    .optional(),
  /** The generating model, recorded in the outputs' XMP and metadata (printable ASCII). */
  model: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\x20-\x7e]+$/)
    .optional(),
};

/** The body of a job submission (`POST /v1/images`): unknown fields are refused. */
export const imageJobRequestSchema = z
  .strictObject(imageJobRequestShape)
  .refine(hasOneSource, ONE_SOURCE);

/** The fields of an image job: the request plus whose it is and its id. */
export const imageJobShape = { id, userId: id, ...imageJobRequestShape };

/** One image job as the processor takes it (fields beyond these are ignored). */
export const imageJobSchema = z.object(imageJobShape).refine(hasOneSource, ONE_SOURCE);

/** Adds fields to the job shape, keeping the one-source rule (for queue payloads and the like). */
export function extendImageJobSchema<T extends z.ZodRawShape>(extra: T) {
  return z
    .strictObject({ ...imageJobShape, ...extra })
    .refine((job) => hasOneSource(job as Sources), ONE_SOURCE);
}

/**
 * One image job: where the source is, and whose it is. Exactly one of `sourceUrl` and `sourceKey`.
 * `id` and `userId` match {@link ID_PATTERN}; the same id always writes the same keys.
 */
export type ImageJob = z.infer<typeof imageJobSchema>;

/** A validated job submission. */
export type ImageJobRequest = z.infer<typeof imageJobRequestSchema>;
