import { z } from 'zod';
import { isImageProcessingError } from './image-processing-error.js';
import { presetConfig } from './variant-presets.js';

/**
 * `IMAGE_PRESETS`: the deployment's own preset sets and each tool's set, as JSON —
 * `{"sets":{"thumbs":[{"name":"t","format":"webp","maxWidth":256,"maxHeight":256}]},"tools":{"sora":"responsive"}}`.
 * Read alike by the API (to refuse unknown sets at submission) and the worker. Empty: the built-in sets only.
 */
export const presetEnvShape = {
  IMAGE_PRESETS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      try {
        const parsed: unknown = value.trim() ? JSON.parse(value) : {};
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('must be a JSON object with "sets" and "tools"');
        const { sets = {}, tools = {}, ...rest } = parsed as Record<string, never>;
        if (Object.keys(rest).length > 0)
          throw new Error(`unknown field ${Object.keys(rest).join(', ')}`);
        return presetConfig(sets, tools);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: isImageProcessingError(error)
            ? error.message
            : `must be JSON {"sets":{...},"tools":{...}}: ${(error as Error).message}`,
        });
        return z.NEVER;
      }
    }),
};
