import { withFilesAlone } from '@monorepo/vitest-config';

// The memory test measures this process's RSS while 200 MB stream through; the resilience and fault suites
// measure timeouts and retry gaps: each runs alone, after the others.
export default withFilesAlone([
  'src/s3-memory.test.ts',
  'src/s3-resilience.test.ts',
  'src/s3-faults.test.ts',
]);
