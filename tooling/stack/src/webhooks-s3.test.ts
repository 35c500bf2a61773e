import { describeWebhooks } from './test-webhooks-suite.js';

// Issue #27's webhooks against radosgw (the same suite as webhooks.test.ts).
describeWebhooks('s3');
