// Shared vitest settings: tests beside the code, generous timeouts for real servers, and a JSON report per
// package that tooling/scripts/test-summary.mjs adds up (each test's `meta.skip`, set by @monorepo/test-utils'
// skipForCapability and needs, tells it why a test was skipped).
import { defineConfig } from 'vitest/config';
import { TimingsReporter } from './timings-reporter.js';

/**
 * Test files run at once in a package. Vitest's own default is one less than the cores (so 1 on a 2-core
 * machine: every file in turn), but most files here wait on servers, child processes and the network rather
 * than on the CPU, so two overlap well even there. TEST_WORKERS overrides it (1 = one file at a time).
 */
export const workers = Number(process.env.TEST_WORKERS) || 2;

export const config = defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: workers,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }], new TimingsReporter()],
    // Never reach for EC2 instance metadata by accident (a test without credentials fails at once, clearly);
    // AWS_EC2_METADATA_DISABLED=false in the environment opts in to the SDK's default chain.
    env: { AWS_EC2_METADATA_DISABLED: process.env.AWS_EC2_METADATA_DISABLED ?? 'true' },
  },
});

/**
 * The shared settings for a package whose files cannot all share the machine: the files of each group (globs such as
 * `src/fairness.test.ts`) run `workers` at a time, group after group in the order given, after every other file
 * (which run {@link workers} at a time).
 */
export function withFileGroups(groups) {
  // Whole project settings, not `extends: true`: that would append `include` to the shared one.
  const { reporters: _reporters, ...shared } = config.test;
  const project = (name, settings) => ({ test: { ...shared, name, ...settings } });
  return defineConfig({
    test: {
      ...config.test,
      projects: [
        project('together', {
          exclude: groups.flatMap((group) => group.include),
          sequence: { groupOrder: 0 },
        }),
        ...groups
          .filter((group) => group.include.length > 0)
          .map((group, index) =>
            project(group.name, {
              include: group.include,
              maxWorkers: group.workers,
              sequence: { groupOrder: index + 1 },
            }),
          ),
      ],
    },
  });
}

/**
 * Files that measure time, memory or fairness under load they create themselves (`alone`) run one at a time after
 * the others; files that only wait out short deadlines they set (an intent's expiry, a webhook's retry schedule)
 * and so must not run beside load, but overlap well with each other (`paired`), run two at a time after those.
 */
export function withFilesAlone(alone, paired = []) {
  return withFileGroups([
    { name: 'alone', include: alone, workers: 1 },
    { name: 'paired', include: paired, workers: 2 },
  ]);
}

export default config;
