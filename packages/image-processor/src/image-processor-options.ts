import type { PresetConfig, VariantPreset } from './contract/variant-presets.js';

/** Tuning and safety settings of an `ImageProcessor`. */
export interface ImageProcessorOptions {
  /** The `default` preset set, in order (default {@link DEFAULT_VARIANTS}). */
  variants?: readonly VariantPreset[];
  /**
   * Preset sets and each tool's set (default: the built-in `default` and `responsive`; see `presetConfig` and
   * `IMAGE_PRESETS`). A job picks one with `presets`.
   */
  presets?: PresetConfig;
  /** Largest source in bytes (default 50 MiB). */
  maxSourceBytes?: number;
  /** Largest source in pixels, from the header, before decoding (default 50 megapixels). */
  maxInputPixels?: number;
  /** Seconds one decode or encode may take (default 30). */
  timeoutSeconds?: number;
  /** sharp's `failOn` for untrusted input (default `'warning'`: refuse anything libvips warns about). */
  failOn?: 'none' | 'truncated' | 'error' | 'warning';
  /** Let `sourceUrl` reach private networks (default `false`). */
  allowPrivateNetworks?: boolean;
  /** Host names `sourceUrl` may use whatever they resolve to. */
  allowedHosts?: readonly string[];
  /** Ports a `sourceUrl` may use (default 80 and 443); hosts in `allowedHosts` may use any. */
  allowedPorts?: readonly number[];
  /** Connect timeout per hop in ms (default 5000). */
  connectTimeoutMs?: number;
  /** Whole source download in ms (default 30000). */
  fetchTimeoutMs?: number;
  /** Redirects followed at most (default 3). */
  maxRedirects?: number;
  /** `Cache-Control` of stored outputs (default `public, max-age=31536000, immutable`). */
  cacheControl?: string;
  /** Largest video source in bytes, spooled to a temp file (default 200 MiB); 0 refuses videos. */
  maxVideoBytes?: number;
  /** Longest video source in seconds (default 600). */
  maxVideoSeconds?: number;
  /** Video codecs accepted (default h264, hevc, vp8, vp9, av1). */
  videoCodecs?: readonly string[];
  /** `ffmpeg` and `ffprobe` executables (default: found on `PATH`). */
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Directory for spooled video sources (default the OS temp directory). */
  tempDir?: string;
  /** Visibility of outputs of jobs that name none (default `public`). */
  visibility?: 'public' | 'private';
}

/** Per-call options of `processImage`. */
export interface ProcessOptions {
  /** Cancels fetching and processing; nothing is stored after it fires. */
  signal?: AbortSignal;
  /** Called with 0-100 as the job advances. */
  onProgress?: (percent: number) => void;
}
