import { describeTenancyAttacks } from './test-tenancy-suite.js';

// Issue #22's hostile tenants against local storage (and tenancy-s3.test.ts against radosgw): the same suite.
describeTenancyAttacks('local');
