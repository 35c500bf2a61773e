import { IMAGE_TOOLS } from '@monorepo/image-processor';
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'must match [A-Za-z0-9_-]{1,128}' });

/** What a producer puts on the queue for one image job (validated again by the worker). */
export const imageJobDataSchema = z
  .strictObject({
    id,
    userId: id,
    tool: z.enum(IMAGE_TOOLS as [string, ...string[]]),
    sourceUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    sourceKey: z.string().min(1).max(1024).optional(),
    /** SHA-256 of the request that created the job, to tell idempotent repeats from conflicting reuse of a key. */
    requestHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    submittedAt: z.iso.datetime(),
  })
  .refine((data) => Boolean(data.sourceUrl) !== Boolean(data.sourceKey), {
    error: 'exactly one of sourceUrl and sourceKey is required',
    path: ['sourceUrl'],
  });

/** Job data of an image job. */
export type ImageJobData = z.infer<typeof imageJobDataSchema>;
