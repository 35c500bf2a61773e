import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0'])
  .default('false')
  .transform((value) => value === 'true' || value === '1');
const ports = z
  .string()
  .default('80,443')
  .transform((value, ctx) => {
    const list = value
      .split(',')
      .map((port) => port.trim())
      .filter(Boolean)
      .map(Number);
    if (list.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
      ctx.addIssue({ code: 'custom', message: 'must be comma-separated ports (1-65535)' });
      return z.NEVER;
    }
    return list;
  });
const hosts = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((host) => host.trim())
      .filter(Boolean),
  );

/** The address-policy variables under one prefix: `<P>_ALLOW_PRIVATE_NETWORKS`, `<P>_ALLOWED_PORTS`, `<P>_ALLOWED_HOSTS`. */
export type SourcePolicyEnvShape<P extends string> = {
  [K in `${P}_ALLOW_PRIVATE_NETWORKS`]: typeof flag;
} & { [K in `${P}_ALLOWED_PORTS`]: typeof ports } & { [K in `${P}_ALLOWED_HOSTS`]: typeof hosts };

/**
 * The address-policy variables of one kind of outgoing request (image sources, webhook targets): the same
 * rules, each kind configured on its own.
 */
export function sourcePolicyEnv<P extends string>(prefix: P): SourcePolicyEnvShape<P> {
  return {
    [`${prefix}_ALLOW_PRIVATE_NETWORKS`]: flag,
    [`${prefix}_ALLOWED_PORTS`]: ports,
    [`${prefix}_ALLOWED_HOSTS`]: hosts,
  } as SourcePolicyEnvShape<P>;
}

/**
 * The source-URL policy variables, read alike by the API (to refuse private
 * addresses at submission) and the worker (to refuse them when fetching).
 */
export const sourcePolicyEnvShape = sourcePolicyEnv('IMAGE');
