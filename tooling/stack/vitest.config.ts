import { withFileGroups } from '@monorepo/vitest-config';

// After the others, group by group:
// - failover: the two suites that kill -9 Redis masters, APIs, workers and gateways under a paced load of their own
//   and bound each outage (< 10 s, against ~2.5 s seen): each mostly waits for Sentinel, so the two overlap;
// - alone, one at a time: suites that measure latency, fairness or memory under load they make, drive a browser,
//   or run CPU-heavy work against a deadline (ffmpeg, coalesced renders);
// - paired, two at a time: suites that race short deadlines they set (a 5 s multipart intent, webhook delivery
//   windows, the janitor's clock) and mostly wait for them: they must not run beside load, but overlap with each
//   other.
export default withFileGroups([
  { name: 'failover', include: ['src/chaos.test.ts', 'src/redis-ha.test.ts'], workers: 2 },
  {
    name: 'alone',
    include: [
      'src/abuse.test.ts',
      'src/console.test.ts',
      'src/fairness.test.ts',
      'src/hostile-input.test.ts',
      'src/imaging.test.ts',
      'src/media.test.ts',
      'src/reliability.test.ts',
      'src/uppy.test.ts',
    ],
    workers: 1,
  },
  {
    name: 'paired',
    include: [
      'src/abuse-s3.test.ts',
      'src/multipart-janitor.test.ts',
      'src/tenancy.test.ts',
      'src/tenancy-s3.test.ts',
      'src/webhooks.test.ts',
      'src/webhooks-s3.test.ts',
    ],
    workers: 2,
  },
]);
