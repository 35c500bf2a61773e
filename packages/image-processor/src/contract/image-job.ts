import type { Provenance } from './provenance.js';

/** What a page shows while an image loads, computed from the pixels already decoded (no second decode). */
export interface Placeholder {
  /** A BlurHash (4×3 components) of the image. */
  blurhash: string;
  /** A tiny WebP as a data URI (at most 1 KB), for low-quality image placeholders. */
  lqip: string;
  /** The dominant colour, `#rrggbb`. */
  dominantColor: string;
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

/**
 * One variant name served in the best format the browser accepts: the CDN answers the extensionless `url` with
 * AVIF, WebP or JPEG according to `Accept` (with `Vary: Accept`), falling back to JPEG.
 */
export interface NegotiatedVariant {
  name: string;
  /** The formats' common key without its extension. */
  key: string;
  url: string;
  width: number;
  height: number;
  /** The formats stored under this name; JPEG is always one of them. */
  formats: string[];
}

/** A video source: where it is served (with byte ranges) and what ffprobe found; its poster made the variants. */
export interface VideoResult {
  key: string;
  url: string;
  format: string;
  contentType: string;
  bytes: number;
  durationSeconds: number;
  width: number;
  height: number;
  codec: string;
  /** Where in the video the poster frame was taken. */
  posterAtSeconds: number;
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
  /** The preset set used (`default` unless the job or its tool names another). */
  presetSet: string;
  /**
   * One entry per preset, in preset order (`variants[0]` is `normal` by default). A preset that would repeat an
   * earlier one of the same format at the same size (a small source) is not made.
   */
  variants: StoredVariant[];
  /** Per format, a ready `srcset` (`<url> <width>w, ...`), widest last. */
  srcset: Record<string, string>;
  /** Names stored with a JPEG fallback, each under one URL that the CDN serves in the best accepted format. */
  negotiated: NegotiatedVariant[];
  /** For a video source: the video; `variants` are then made from its poster frame. */
  video?: VideoResult;
  /** Who may read the outputs without a signed URL. */
  visibility: 'public' | 'private';
  /** Where the outputs came from, as written into their XMP and metadata. */
  provenance: Provenance;
  /** What to show while the image loads. */
  placeholder: Placeholder;
}
