// Shared vitest settings: tests beside the code, generous timeouts for real servers, and a JSON report per
// package that tooling/scripts/test-summary.mjs adds up.
import { defineConfig } from 'vitest/config';

export const config = defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});

export default config;
