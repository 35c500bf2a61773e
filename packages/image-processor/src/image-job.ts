import type { ImageTool } from './image-tool.js';

/** One image job: where the source is, and whose it is. Exactly one of `sourceUrl` and `sourceKey`. */
export interface ImageJob {
  /** Job id, `[A-Za-z0-9_-]{1,128}`; the same id always writes the same keys. */
  id: string;
  tool: ImageTool | `${ImageTool}`;
  /** Owner, `[A-Za-z0-9_-]{1,128}`. */
  userId: string;
  /** An http(s) URL to fetch (SSRF-checked); the fetched bytes are kept under `generated/`. */
  sourceUrl?: string;
  /** An object already in storage (e.g. an upload); not copied. */
  sourceKey?: string;
}

/** A stored output. */
export interface StoredVariant {
  name: string;
  key: string;
  url: string;
  format: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

/** What a finished job produced. */
export interface ProcessResult {
  jobId: string;
  tool: string;
  userId: string;
  /** The source as decoded (width and height after EXIF orientation). */
  source: { format: string; width: number; height: number; bytes: number };
  /** The kept copy of a `sourceUrl` source. */
  original?: { key: string; url: string; format: string; bytes: number };
  /** One entry per preset, in preset order (`variants[0]` is `normal` by default). */
  variants: StoredVariant[];
}

/** Per-call options of `processImage`. */
export interface ProcessOptions {
  /** Cancels fetching and processing; nothing is stored after it fires. */
  signal?: AbortSignal;
  /** Called with 0-100 as the job advances. */
  onProgress?: (percent: number) => void;
}
