/**
 * Every API route the client calls, as the OpenAPI document names it (`GET /openapi.json`); the API's tests
 * check this table against the document, so client and server cannot drift apart.
 */
export const API_ROUTES = {
  uploadFile: { method: 'post', path: '/v1/files' },
  listFiles: { method: 'get', path: '/v1/files' },
  downloadFile: { method: 'get', path: '/v1/files/{key}' },
  headFile: { method: 'head', path: '/v1/files/{key}' },
  deleteFile: { method: 'delete', path: '/v1/files/{key}' },
  setFileVisibility: { method: 'patch', path: '/v1/files/{key}' },
  signedUrl: { method: 'get', path: '/v1/signed-urls/{key}' },
  transformUrl: { method: 'post', path: '/v1/transform-urls' },
  createUpload: { method: 'post', path: '/v1/uploads' },
  uploadBody: { method: 'put', path: '/v1/uploads/{id}/body' },
  completeUpload: { method: 'post', path: '/v1/uploads/{id}/complete' },
  abortUpload: { method: 'delete', path: '/v1/uploads/{id}' },
  createMultipartUpload: { method: 'post', path: '/v1/uploads/multipart' },
  listUploadParts: { method: 'get', path: '/v1/uploads/{id}/parts' },
  signUploadPart: { method: 'post', path: '/v1/uploads/{id}/parts/{partNumber}' },
  // Where signed part URLs point on local storage (uploadResumable PUTs to the URL as signed).
  uploadPartBody: { method: 'put', path: '/v1/uploads/multipart/part' },
  submitImageJob: { method: 'post', path: '/v1/images' },
  listImageJobs: { method: 'get', path: '/v1/images' },
  getImageJob: { method: 'get', path: '/v1/images/{jobId}' },
  setImageJobVisibility: { method: 'patch', path: '/v1/images/{jobId}' },
  createWebhook: { method: 'post', path: '/v1/webhooks' },
  listWebhooks: { method: 'get', path: '/v1/webhooks' },
  getWebhook: { method: 'get', path: '/v1/webhooks/{id}' },
  deleteWebhook: { method: 'delete', path: '/v1/webhooks/{id}' },
  rotateWebhookSecret: { method: 'post', path: '/v1/webhooks/{id}/rotate-secret' },
  listWebhookDeliveries: { method: 'get', path: '/v1/webhooks/{id}/deliveries' },
  redeliverWebhook: { method: 'post', path: '/v1/webhooks/{id}/deliveries/{eventId}/redeliver' },
  getUsage: { method: 'get', path: '/v1/usage' },
} as const;

/** A client operation. */
export type ApiOperation = keyof typeof API_ROUTES;
