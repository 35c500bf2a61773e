/** Who may read a file through the CDN without a signed URL. */
export type Visibility = 'public' | 'private';

/** A URL that works now: a public one, or a signed one until `expiresAt`. */
export interface IssuedUrl {
  url: string;
  /** When a signed URL stops working (ISO 8601); absent for public URLs. */
  expiresAt?: string;
}

/** A stored upload (`201` of `POST /v1/files`). */
export interface StoredFile extends IssuedUrl {
  key: string;
  size: number;
  contentType: string;
  etag: string;
  visibility: Visibility;
}

/** One entry of a listing; its `url` is signed, so it works whatever the file's visibility. */
export interface FileListItem extends IssuedUrl {
  key: string;
  size: number;
  contentType: string;
  lastModified: string;
  /** With `includeVisibility`: whether it is public or private. */
  visibility?: Visibility;
}

/** One page of `GET /v1/files`. */
export interface FileList {
  items: FileListItem[];
  /** Pass back to get the next page; absent on the last page. */
  cursor?: string;
}

/** What `listFiles` lists: your uploads, or your job outputs of one tool. */
export type FileFolder = 'uploads' | 'outputs';

/** The tools whose outputs are post-processed. */
export type ImageToolName = 'dall-e' | 'sora' | 'stable-diffusion';

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

/** A stored output of a job. */
export interface ImageVariant {
  name: string;
  key: string;
  url: string;
  /** When the signed `url` stops working (private outputs). */
  expiresAt?: string;
  format: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

/** One name served in the best format the browser accepts (AVIF, WebP, else JPEG) under one URL. */
export interface NegotiatedVariant {
  name: string;
  key: string;
  url: string;
  /** When the signed `url` stops working (private outputs). */
  expiresAt?: string;
  width: number;
  height: number;
  formats: string[];
}

/** A video source: where it is served (with byte ranges) and what ffprobe found. */
export interface VideoInfo {
  key: string;
  url: string;
  /** When the signed `url` stops working (private videos). */
  expiresAt?: string;
  format: string;
  contentType: string;
  bytes: number;
  durationSeconds: number;
  width: number;
  height: number;
  codec: string;
  posterAtSeconds: number;
}

/** What a completed job produced. */
export interface ImageJobResult {
  jobId: string;
  tool: string;
  userId: string;
  source: { format: string; width: number; height: number; bytes: number };
  original?: { key: string; url: string; expiresAt?: string; format: string; bytes: number };
  /** The preset set made. */
  presetSet: string;
  variants: ImageVariant[];
  /** Per format, a ready `srcset` (`<url> <width>w, ...`). */
  srcset: Record<string, string>;
  /** Names with a JPEG fallback, each under one URL the CDN serves in the best accepted format. */
  negotiated: NegotiatedVariant[];
  /** For a video source: the video; the variants are made from its poster frame. */
  video?: VideoInfo;
  /** Who may read the outputs without a signed URL; a private job's URLs in `GET` answers are signed. */
  visibility: Visibility;
  /** Where the outputs came from, as written into their XMP (IPTC DigitalSourceType) and metadata. */
  provenance: {
    digitalSourceType: string;
    creatorTool: string;
    model?: string;
    sourceSha256: string;
    /** Whether the source carried a C2PA manifest (kept untouched in the stored source). */
    c2pa: 'present' | 'absent';
  };
  /** What to show while the image loads: a BlurHash, a tiny WebP data URI (≤ 1 KB), the dominant colour. */
  placeholder: { blurhash: string; lqip: string; dominantColor: string };
}

/** Public status of a job. */
export type ImageJobState = 'queued' | 'active' | 'completed' | 'failed';

/** `GET /v1/images/{jobId}`. */
export interface ImageJob {
  jobId: string;
  status: ImageJobState;
  progress?: number;
  /** With `status: 'completed'`. */
  result?: ImageJobResult;
  /** With `status: 'failed'`: a stable code and a generic message. */
  error?: { code: string; message: string };
  /** The tool it was submitted for. */
  tool?: string;
  /** When it was submitted (ISO 8601). */
  submittedAt?: string;
  /** The upload it was made from, for a job on one of your uploads. */
  sourceKey?: string;
}

/** `GET /v1/images`: your latest jobs, newest first. */
export interface ImageJobList {
  items: ImageJob[];
}

/** Where and how to send the bytes of an announced direct upload. */
export type UploadTarget =
  | { method: 'POST'; url: string; fields: Record<string, string>; fileField: string }
  | { method: 'PUT'; url: string; headers: Record<string, string> };

/** `201` of `POST /v1/uploads`. */
export interface UploadIntentAnswer {
  id: string;
  key: string;
  expiresAt: string;
  upload: UploadTarget;
}

/** The answer to announcing a multipart (resumable) upload. */
export interface MultipartUploadAnswer {
  id: string;
  key: string;
  expiresAt: string;
  /** Every part but the last must have at least this many bytes. */
  minPartSize: number;
  /** Most parts this upload can have. */
  maxParts: number;
}

/** A part the store holds for a multipart upload. */
export interface UploadPart {
  partNumber: number;
  etag: string;
  size: number;
}

/** Progress of {@link StorageApiClient.uploadResumable}. */
export interface ResumableProgress {
  /** The upload's id: keep it to resume after a restart or a reload (`resumeId`). */
  id: string;
  bytesSent: number;
  bytesTotal: number;
}

/** An event a webhook endpoint can subscribe to. */
export type WebhookEventType =
  'upload.completed' | 'job.completed' | 'job.failed' | 'file.deleted' | 'file.visibility_changed';

/** A webhook endpoint of your team (its secret is only in {@link CreatedWebhook}). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  description?: string;
  createdAt: string;
}

/** A new endpoint and its `whsec_` secret, shown this once. */
export interface CreatedWebhook extends WebhookEndpoint {
  secret: string;
}

/** One delivery attempt, newest first in {@link StorageApiClient.listWebhookDeliveries}. */
export interface WebhookDelivery {
  eventId: string;
  type: WebhookEventType;
  attempt: number;
  redelivery: boolean;
  at: string;
  status?: number;
  error?: string;
  ms: number;
  outcome: 'delivered' | 'retrying' | 'dead';
}

/** Your team's usage (`GET /v1/usage`). */
export interface TeamUsage {
  team: string;
  storage: {
    bytes: number;
    objects: number;
    reservedBytes: number;
    quota: { bytes: number; objects: number };
  };
  uploads: { inFlight: number; openIntents: number };
  jobs: { pending: number; completed: number; failed: number; windowHours: number };
  webhooks: { pendingDeliveries: number };
}
