import { describeTenancyAttacks } from './test-tenancy-suite.js';

// Issue #22's hostile tenants against radosgw (a real S3 server: presigned POST policies, server-side copies).
describeTenancyAttacks('s3');
