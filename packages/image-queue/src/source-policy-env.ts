import { z } from 'zod';

/**
 * The source-URL policy variables, read alike by the API (to refuse private
 * addresses at submission) and the worker (to refuse them when fetching).
 */
export const sourcePolicyEnvShape = {
  IMAGE_ALLOW_PRIVATE_NETWORKS: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  IMAGE_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((host) => host.trim())
        .filter(Boolean),
    ),
};
