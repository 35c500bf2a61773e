import { describeWebhooks } from './test-webhooks-suite.js';

// Issue #27's webhooks against local storage (and webhooks-s3.test.ts against radosgw): the same suite.
describeWebhooks('local');
