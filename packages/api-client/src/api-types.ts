import type { components } from './generated/api-schemas.js';

/**
 * The API's answers are typed from `./generated/api-schemas.ts`, generated from the API's OpenAPI document (whose
 * schemas are generated from the API's zod schemas): never edit them here. Types only: nothing of the API is
 * imported at run time. What the client alone defines (requests, progress, folders) is written below.
 */
type Schemas = components['schemas'];

/** Who may read a file through the CDN without a signed URL. */
export type Visibility = Schemas['Visibility'];

/** A URL that works now: a public one, or a signed one until `expiresAt`. */
export type IssuedUrl = Schemas['IssuedUrl'];

/** A stored upload (`201` of `POST /v1/files`). */
export type StoredFile = Schemas['StoredFile'];

/** One entry of a listing; its `url` is signed, so it works whatever the file's visibility. */
export type FileListItem = Schemas['FileListItem'];

/** One page of `GET /v1/files`. */
export type FileList = Schemas['FileList'];

/** What `listFiles` lists: your uploads, or your job outputs of one tool. */
export type FileFolder = 'uploads' | 'outputs';

/** The tools whose outputs are post-processed. */
export type ImageToolName = Schemas['ImageTool'];

/** The body of `POST /v1/images`: a tool and exactly one source. */
export type ImageJobRequest = (
  | { tool: ImageToolName; sourceUrl: string; sourceKey?: never }
  | { tool: ImageToolName; sourceKey: string; sourceUrl?: never }
) & {
  /** Who may read the outputs without a signed URL (default: the deployment's, usually public). */
  visibility?: Visibility;
  /** The generating model, recorded in the outputs' XMP and metadata. */
  model?: string;
  /** The preset set to make (`default`, `responsive` or the deployment's own; default: the tool's). */
  presets?: string;
};

/** What a completed job produced. */
export type ImageJobResult = Schemas['ImageJobResult'];

/** A stored output of a job. */
export type ImageVariant = ImageJobResult['variants'][number];

/** One name served in the best format the browser accepts (AVIF, WebP, else JPEG) under one URL. */
export type NegotiatedVariant = ImageJobResult['negotiated'][number];

/** A video source: where it is served (with byte ranges) and what ffprobe found. */
export type VideoInfo = NonNullable<ImageJobResult['video']>;

/** Public status of a job. */
export type ImageJobState = Schemas['ImageJobState'];

/** `GET /v1/images/{jobId}`. */
export type ImageJob = Schemas['ImageJob'];

/** `GET /v1/images`: your latest jobs, newest first. */
export type ImageJobList = Schemas['ImageJobList'];

/** Where and how to send the bytes of an announced direct upload. */
export type UploadTarget = Schemas['UploadTarget'];

/** `201` of `POST /v1/uploads`. */
export type UploadIntentAnswer = Schemas['UploadIntent'];

/** The answer to announcing a multipart (resumable) upload. */
export type MultipartUploadAnswer = Schemas['MultipartUpload'];

/** A part the store holds for a multipart upload. */
export type UploadPart = Schemas['UploadPart'];

/** Progress of {@link StorageApiClient.uploadResumable}. */
export interface ResumableProgress {
  /** The upload's id: keep it to resume after a restart or a reload (`resumeId`). */
  id: string;
  bytesSent: number;
  bytesTotal: number;
}

/** An event a webhook endpoint can subscribe to. */
export type WebhookEventType = Schemas['WebhookEventType'];

/** A webhook endpoint of your team (its secret is only in {@link CreatedWebhook}). */
export type WebhookEndpoint = Schemas['WebhookEndpoint'];

/** A new endpoint and its `whsec_` secret, shown this once. */
export type CreatedWebhook = Schemas['CreatedWebhook'];

/** One delivery attempt, newest first in {@link StorageApiClient.listWebhookDeliveries}. */
export type WebhookDelivery = Schemas['WebhookDelivery'];

/** Your team's usage (`GET /v1/usage`). */
export type TeamUsage = Schemas['TeamUsage'];
