import { z } from 'zod';
import { normalizeMediaType } from './media-type.js';

/** A request's media type, normalised (`normalizeMediaType`), else a validation issue. */
export const mediaType = z
  .string()
  .max(255)
  .transform((value, ctx) => {
    const type = normalizeMediaType(value);
    if (!type) ctx.addIssue({ code: 'custom', message: 'not a media type (type/subtype)' });
    return type ?? z.NEVER;
  });

/** `POST /v1/uploads/multipart`. */
export const multipartIntentSchema = z.strictObject({
  name: z.string().min(1).max(255),
  contentType: mediaType,
  size: z.number().int().min(1),
  visibility: z.enum(['public', 'private']).optional(),
});

/** `POST /s3/multipart` as `@uppy/aws-s3` sends it (metadata is accepted and ignored). */
export const companionCreateSchema = z.object({
  filename: z.string().min(1).max(255),
  // Browsers give files of unknown type an empty type.
  type: z
    .string()
    .max(255)
    .optional()
    .transform((value) => value || 'application/octet-stream')
    .pipe(mediaType),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** `POST /v1/uploads/:id/complete` of a multipart intent: the part list is optional (checked when sent). */
export const partListSchema = z.object({
  parts: z
    .array(z.object({ partNumber: z.number().int().min(1), etag: z.string().min(1).max(256) }))
    .max(10_000),
});

/** `POST /s3/multipart/:uploadId/complete` (Companion's shape). */
export const companionPartListSchema = z.object({
  parts: z
    .array(z.object({ PartNumber: z.number().int().min(1), ETag: z.string().min(1).max(256) }))
    .max(10_000),
});
