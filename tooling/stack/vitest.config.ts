import { withFilesAlone } from '@monorepo/vitest-config';

// Alone, one at a time after the others: suites that measure latency, fairness or recovery under load they make
// (chaos: kill -9 under load), drive a browser, or run CPU-heavy work against a deadline (ffmpeg, coalesced
// renders). Paired, two at a time after those: suites that race short deadlines they set (a 5 s multipart intent,
// webhook delivery windows, the janitor's clock) and mostly wait for them: they must not run beside load, but
// overlap with each other.
export default withFilesAlone(
  [
    'src/abuse.test.ts',
    'src/chaos.test.ts',
    'src/console.test.ts',
    'src/fairness.test.ts',
    'src/hostile-input.test.ts',
    'src/imaging.test.ts',
    'src/media.test.ts',
    'src/redis-ha.test.ts',
    'src/reliability.test.ts',
    'src/uppy.test.ts',
  ],
  [
    'src/abuse-s3.test.ts',
    'src/multipart-janitor.test.ts',
    'src/tenancy.test.ts',
    'src/tenancy-s3.test.ts',
    'src/webhooks.test.ts',
    'src/webhooks-s3.test.ts',
  ],
);
