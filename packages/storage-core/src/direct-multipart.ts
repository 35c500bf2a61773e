// Multipart uploads that a client sends straight to the store, part by part (capability `directMultipart`).

/** Smallest part of a multipart upload except the last (S3's rule): 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Largest part of a multipart upload (S3's rule): 5 GiB. */
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
/** Most parts in one multipart upload (S3's rule). */
export const MAX_PARTS = 10_000;

/** Options for {@link StorageAdapter.createMultipartUpload}. */
export interface MultipartUploadOptions {
  /** The `Content-Type` the assembled object gets. */
  contentType: string;
}

/** A part the store holds for a multipart upload not yet completed. */
export interface UploadedPart {
  /** 1 to {@link MAX_PARTS}. */
  partNumber: number;
  /** The store's ETag of the part, quoted as the store sent it. */
  etag: string;
  /** Bytes in the part. */
  size: number;
}

/** A part named when completing: its number and the ETag the store answered for it. */
export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** Options for {@link StorageAdapter.signUploadPart}. */
export interface SignUploadPartOptions {
  /** Lifetime of the URL in seconds (default 900, at most 604800). */
  expiresIn?: number;
  /**
   * The most bytes the part may hold (1 to {@link MAX_PART_BYTES}, the default). A store that receives parts
   * itself through the application (local storage) refuses a longer part as it arrives, nothing kept; S3 cannot
   * pin a part's size in a presigned URL, so there the total is checked at completion.
   */
  maxBytes?: number;
}

/** Options for {@link StorageAdapter.receiveUploadPart}. */
export interface ReceiveUploadPartOptions {
  /** The request's declared length: a body of any other length is refused (`EINVAL`), nothing kept. */
  contentLength?: number;
  /** Aborts the write (the client went away): nothing is kept and the URL may be used again. */
  signal?: AbortSignal;
}
