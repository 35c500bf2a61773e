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
  /** Who may read the outputs without a signed URL. */
  visibility: 'public' | 'private';
  /** Where the outputs came from, as written into their XMP and metadata. */
  provenance: Provenance;
  /** What to show while the image loads. */
  placeholder: Placeholder;
}
