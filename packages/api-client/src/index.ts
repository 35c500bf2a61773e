export { ApiError } from './api-error.js';
export { API_ROUTES } from './api-routes.js';
export type { ApiOperation } from './api-routes.js';
export type {
  CreatedWebhook,
  FileFolder,
  FileList,
  FileListItem,
  ImageJob,
  ImageJobList,
  ImageJobRequest,
  ImageJobResult,
  ImageJobState,
  ImageToolName,
  ImageVariant,
  IssuedUrl,
  NegotiatedVariant,
  StoredFile,
  TeamUsage,
  UploadIntentAnswer,
  UploadTarget,
  VideoInfo,
  Visibility,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventType,
  MultipartUploadAnswer,
  ResumableProgress,
  UploadPart,
} from './api-types.js';
export { StorageApiClient } from './storage-api-client.js';
export type { StorageApiClientOptions, UploadBody } from './storage-api-client.js';
