// Shared vitest settings: tests beside the code, generous timeouts for real servers, and a JSON report per
// package that tooling/scripts/test-summary.mjs adds up (each test's `meta.skip`, set by @monorepo/test-utils'
// skipForCapability and needs, tells it why a test was skipped).
import { defineConfig } from 'vitest/config';

export const config = defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    // Never reach for EC2 instance metadata by accident (a test without credentials fails at once, clearly);
    // AWS_EC2_METADATA_DISABLED=false in the environment opts in to the SDK's default chain.
    env: { AWS_EC2_METADATA_DISABLED: process.env.AWS_EC2_METADATA_DISABLED ?? 'true' },
  },
});

export default config;
