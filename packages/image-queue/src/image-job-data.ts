import { extendImageJobSchema } from '@monorepo/image-processor/contract';
import { z } from 'zod';

/** What a producer puts on the queue for one image job (validated again by the worker). */
export const imageJobDataSchema = extendImageJobSchema({
  /** SHA-256 of the request that created the job, to tell idempotent repeats from conflicting reuse of a key. */
  requestHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  submittedAt: z.iso.datetime(),
});

/** Job data of an image job. */
export type ImageJobData = z.infer<typeof imageJobDataSchema>;
