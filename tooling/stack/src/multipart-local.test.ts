import { describeMultipartUploads } from './test-multipart-suite.js';

// Issue #26's multipart uploads on local storage: parts go through the gateway to the API, which streams them
// into the local backend's staging area.
describeMultipartUploads('local');
