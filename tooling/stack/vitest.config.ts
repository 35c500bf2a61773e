import { withFilesAlone } from '@monorepo/vitest-config';

// Suites that measure latency, fairness or recovery under load they make (chaos: kill -9 under load), drive a browser, or race short
// deadlines (a 2 s multipart intent, webhook delivery windows), run one at a time after the others.
export default withFilesAlone([
  'src/abuse.test.ts',
  'src/abuse-s3.test.ts',
  'src/chaos.test.ts',
  'src/console.test.ts',
  'src/fairness.test.ts',
  'src/hostile-input.test.ts',
  'src/imaging.test.ts',
  'src/media.test.ts',
  'src/multipart-janitor.test.ts',
  'src/redis-ha.test.ts',
  'src/reliability.test.ts',
  'src/tenancy.test.ts',
  'src/tenancy-s3.test.ts',
  'src/uppy.test.ts',
  'src/webhooks.test.ts',
  'src/webhooks-s3.test.ts',
]);
