import { describeMultipartUploads } from './test-multipart-suite.js';

// Issue #26's multipart uploads against radosgw: parts go straight to the bucket.
describeMultipartUploads('s3');
