import type { Provenance } from './provenance.js';

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
}
