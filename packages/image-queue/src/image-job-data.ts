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
  /** The W3C trace context of the request that queued it: the worker's spans join that trace. */
  traceparent: z
    .string()
    .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
    .optional(),
});

/** Job data of an image job. */
export type ImageJobData = z.infer<typeof imageJobDataSchema>;
