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
  IMAGE_ALLOWED_PORTS: z
    .string()
    .default('80,443')
    .transform((value, ctx) => {
      const ports = value
        .split(',')
        .map((port) => port.trim())
        .filter(Boolean)
        .map(Number);
      if (ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated ports (1-65535)' });
        return z.NEVER;
      }
      return ports;
    }),
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
