import type { TestContext } from 'vitest';

/**
 * Why a test was skipped, kept in its `meta` (so in vitest's JSON report): `capability` for what the target
 * cannot do by design (a documented difference), `prerequisite` for something the machine lacks (a server not
 * installed, no root to mount a filesystem), which CI must not accept.
 */
export interface SkipReason {
  kind: 'capability' | 'prerequisite';
  reason: string;
}

declare module 'vitest' {
  interface TaskMeta {
    /** Set on a test skipped through {@link skipForCapability} or {@link needs}. */
    skip?: SkipReason;
  }
}

/** Whether the environment says this is a CI run (`CI=true` or `CI=1`). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['true', '1'].includes((env.CI ?? '').toLowerCase());
}

/** Skips the running test because its target lacks a capability, recording the reason. */
export function skipForCapability(ctx: TestContext, reason: string): never {
  ctx.task.meta.skip = { kind: 'capability', reason };
  return ctx.skip(reason);
}

/**
 * Options for a `describe` (or `it`) that needs a prerequisite of the machine: `{}` when `available`;
 * otherwise the tests are skipped with the reason recorded, except under CI (`CI=true`), where a missing
 * prerequisite throws, failing the file, since a CI machine set up by `make setup` must have it.
 *
 * @example describe('on tmpfs mounts', needs('mounting tmpfs (root)', canMount, 'run as root'), () => { … })
 * @throws {Error} under CI when `available` is false.
 */
export function needs(
  prerequisite: string,
  available: boolean,
  hint: string,
  env: NodeJS.ProcessEnv = process.env,
): { skip?: boolean; meta?: { skip: SkipReason } } {
  if (available) return {};
  if (isCi(env)) throw new Error(`Missing prerequisite under CI=true: ${prerequisite} (${hint})`);
  return { skip: true, meta: { skip: { kind: 'prerequisite', reason: prerequisite } } };
}
