import { describeWebhooks } from './test-webhooks-suite.js';

// Issue #27's webhooks against radosgw: the suite of webhooks.test.ts, but for its delivery-only tests.
describeWebhooks('s3');
