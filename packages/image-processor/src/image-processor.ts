import { createHash } from 'node:crypto';
import { isStorageError, noopMonitoring } from '@monorepo/storage-core';
import type { Monitoring, StorageAdapter } from '@monorepo/storage-core';
import sharp from 'sharp';
import type { ImageJob, ProcessOptions, ProcessResult, StoredVariant } from './image-job.js';
import { ImageProcessingError } from './image-processing-error.js';
import type { ImageProcessorOptions } from './image-processor-options.js';
import { isImageTool } from './image-tool.js';
import { readWithinLimit } from './read-within-limit.js';
import { safeFetch } from './safe-fetch.js';
import { sniffImageFormat } from './sniff-format.js';
import type { SourcePolicy } from './source-policy.js';
import { DEFAULT_VARIANTS, FORMAT_INFO } from './variant-preset.js';
import type { VariantPreset } from './variant-preset.js';

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const PRESET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Encoded {
  preset: VariantPreset;
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Turns a source image into stored variants. It receives a storage adapter,
 * never a configuration, and writes:
 *
 * - `processed/<tool>/<userId>/<jobId>/<variant>-<stamp>.<ext>` per preset;
 * - `generated/<tool>/<userId>/<jobId>/original.<ext>` for `sourceUrl` sources.
 *
 * The stamp is derived from the job id, the preset and the source bytes, so a
 * retry of the same job writes the same keys (no duplicates), while changed
 * presets or content get new URLs (safe under immutable caching). Nothing is
 * stored until every variant is encoded; a failed store removes what it wrote.
 */
export class ImageProcessor {
  readonly #storage: StorageAdapter;
  readonly #monitoring: Monitoring;
  readonly #variants: readonly VariantPreset[];
  readonly #policy: SourcePolicy;
  readonly #maxPixels: number;
  readonly #timeout: number;
  readonly #failOn: NonNullable<ImageProcessorOptions['failOn']>;
  readonly #cacheControl: string;

  constructor(
    storage: StorageAdapter,
    monitoring: Monitoring = noopMonitoring,
    options: ImageProcessorOptions = {},
  ) {
    this.#storage = storage;
    this.#monitoring = monitoring;
    this.#variants = options.variants ?? DEFAULT_VARIANTS;
    const names = new Set<string>();
    for (const preset of this.#variants) {
      if (
        !PRESET_NAME.test(preset.name) ||
        names.has(preset.name) ||
        !(preset.format in FORMAT_INFO)
      ) {
        throw new ImageProcessingError(
          'E_INVALID_JOB',
          `Invalid variant preset ${JSON.stringify(preset.name)}`,
        );
      }
      names.add(preset.name);
    }
    this.#policy = {
      allowPrivateNetworks: options.allowPrivateNetworks ?? false,
      allowedHosts: options.allowedHosts ?? [],
      allowedPorts: options.allowedPorts ?? [80, 443],
      maxBytes: options.maxSourceBytes ?? 50 * 1024 * 1024,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      totalTimeoutMs: options.fetchTimeoutMs ?? 30_000,
      maxRedirects: options.maxRedirects ?? 3,
    };
    this.#maxPixels = options.maxInputPixels ?? 50_000_000;
    this.#timeout = options.timeoutSeconds ?? 30;
    this.#failOn = options.failOn ?? 'warning';
    this.#cacheControl = options.cacheControl ?? IMMUTABLE;
  }

  /**
   * Fetches the job's source, makes every variant and stores them.
   *
   * @throws {ImageProcessingError} with a `code` saying why; `permanent` tells whether a retry can help.
   */
  async processImage(job: ImageJob, options: ProcessOptions = {}): Promise<ProcessResult> {
    const tool = String(job?.tool);
    try {
      const result = await this.#run(job, options);
      this.#monitoring.increment('image_jobs_total', { tool, outcome: 'completed' });
      return result;
    } catch (error) {
      const failure = this.#classify(error);
      this.#monitoring.increment('image_jobs_total', {
        tool: isImageTool(tool) ? tool : 'invalid',
        outcome: 'failed',
      });
      this.#monitoring.increment('image_job_failures_total', {
        code: failure instanceof ImageProcessingError ? failure.code : 'EABORT',
      });
      throw failure;
    }
  }

  async #run(job: ImageJob, { signal, onProgress }: ProcessOptions): Promise<ProcessResult> {
    this.#validate(job);
    const progress = (p: number) => onProgress?.(p);
    progress(5);

    const source = await this.#stage('fetch', () => this.#fetch(job, signal));
    signal?.throwIfAborted();
    progress(25);

    const format = await sniffImageFormat(source);
    const decoded = await this.#stage('decode', () => this.#decode(source));
    signal?.throwIfAborted();
    progress(45);

    const encoded = await Promise.all(
      this.#variants.map((preset) =>
        this.#stage('encode', () => this.#encode(decoded, preset), preset.name),
      ),
    );
    signal?.throwIfAborted();
    progress(80);

    const digest = createHash('sha256').update(source).digest('hex');
    const base = `${job.tool}/${job.userId}/${job.id}`;
    const writes: Array<{ key: string; data: Buffer; contentType: string }> = encoded.map((e) => ({
      key: `processed/${base}/${e.preset.name}-${this.#stamp(job.id, e.preset, digest)}.${FORMAT_INFO[e.preset.format].ext}`,
      data: e.data,
      contentType: FORMAT_INFO[e.preset.format].contentType,
    }));
    const originalKey = job.sourceUrl ? `generated/${base}/original.${format.ext}` : undefined;
    if (originalKey) writes.push({ key: originalKey, data: source, contentType: format.mime });

    await this.#stage('store', () => this.#store(job, writes, `processed/${base}/`, signal));
    progress(100);

    const variants: StoredVariant[] = encoded.map((e, i) => ({
      name: e.preset.name,
      key: writes[i]!.key,
      url: this.#storage.getPublicUrl(writes[i]!.key),
      format: e.preset.format,
      contentType: FORMAT_INFO[e.preset.format].contentType,
      width: e.width,
      height: e.height,
      bytes: e.data.length,
    }));
    return {
      jobId: job.id,
      tool: job.tool,
      userId: job.userId,
      source: {
        format: format.format,
        width: decoded.info.width,
        height: decoded.info.height,
        bytes: source.length,
      },
      ...(originalKey
        ? {
            original: {
              key: originalKey,
              url: this.#storage.getPublicUrl(originalKey),
              format: format.format,
              bytes: source.length,
            },
          }
        : {}),
      variants,
    };
  }

  #validate(job: ImageJob): void {
    const invalid = (message: string) => new ImageProcessingError('E_INVALID_JOB', message);
    if (!job || typeof job !== 'object') throw invalid('Job must be an object');
    if (typeof job.id !== 'string' || !ID.test(job.id))
      throw invalid('Job id must match [A-Za-z0-9_-]{1,128}');
    if (typeof job.userId !== 'string' || !ID.test(job.userId))
      throw invalid('userId must match [A-Za-z0-9_-]{1,128}');
    if (!isImageTool(job.tool)) throw invalid(`Unknown tool ${JSON.stringify(job.tool)}`);
    const hasUrl = typeof job.sourceUrl === 'string' && job.sourceUrl !== '';
    const hasKey = typeof job.sourceKey === 'string' && job.sourceKey !== '';
    if (hasUrl === hasKey) throw invalid('Exactly one of sourceUrl and sourceKey is required');
  }

  async #fetch(job: ImageJob, signal?: AbortSignal): Promise<Buffer> {
    if (job.sourceUrl) return (await safeFetch(job.sourceUrl, this.#policy, signal)).bytes;
    const key = job.sourceKey!;
    try {
      return await readWithinLimit(await this.#storage.downloadStream(key), this.#policy.maxBytes);
    } catch (error) {
      if (isStorageError(error, 'ENOENT') || isStorageError(error, 'EINVAL')) {
        throw new ImageProcessingError(
          'E_SOURCE_NOT_FOUND',
          `No stored source at ${JSON.stringify(key)}`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Reads the header (pixel limit), then decodes once: oriented, sRGB, 8-bit, first frame. */
  async #decode(source: Buffer): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
    let meta: sharp.Metadata;
    try {
      meta = await sharp(source, { limitInputPixels: false }).metadata();
    } catch (error) {
      throw new ImageProcessingError('E_CORRUPT_IMAGE', 'Source image header is unreadable', {
        cause: error,
      });
    }
    const pixels = (meta.width ?? 0) * (meta.height ?? 0);
    if (pixels > this.#maxPixels) {
      throw new ImageProcessingError(
        'E_TOO_MANY_PIXELS',
        `Source is ${meta.width}x${meta.height} (${pixels} pixels), more than the ${this.#maxPixels} allowed`,
      );
    }
    try {
      return await sharp(source, {
        limitInputPixels: this.#maxPixels,
        failOn: this.#failOn,
        sequentialRead: true,
      })
        .rotate()
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .timeout({ seconds: this.#timeout })
        .toBuffer({ resolveWithObject: true });
    } catch (error) {
      throw this.#sharpError(error, 'E_CORRUPT_IMAGE', 'Source image is corrupt or truncated');
    }
  }

  async #encode(
    decoded: { data: Buffer; info: sharp.OutputInfo },
    preset: VariantPreset,
  ): Promise<Encoded> {
    const { width, height, channels } = decoded.info;
    let pipeline = sharp(decoded.data, {
      raw: { width, height, channels: channels as 1 | 2 | 3 | 4 },
    })
      .resize({
        width: preset.maxWidth,
        height: preset.maxHeight,
        fit: preset.fit ?? 'inside',
        withoutEnlargement: true,
      })
      .timeout({ seconds: this.#timeout });
    switch (preset.format) {
      case 'jpeg':
        pipeline = pipeline
          .flatten({ background: '#ffffff' })
          .jpeg({ quality: preset.quality ?? 80, mozjpeg: true });
        break;
      case 'webp':
        pipeline = pipeline.webp({ quality: preset.quality ?? 80 });
        break;
      case 'avif':
        pipeline = pipeline.avif({ quality: preset.quality ?? 50 });
        break;
      case 'png':
        pipeline = pipeline.png({ compressionLevel: 9, adaptiveFiltering: true });
        break;
    }
    try {
      const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
      return { preset, data, width: info.width, height: info.height };
    } catch (error) {
      throw this.#sharpError(error, 'E_CORRUPT_IMAGE', `Encoding variant ${preset.name} failed`);
    }
  }

  #sharpError(error: unknown, code: 'E_CORRUPT_IMAGE', message: string): ImageProcessingError {
    const text = (error as Error)?.message ?? '';
    if (/timeout/i.test(text))
      return new ImageProcessingError('E_TIMEOUT', `Image processing exceeded ${this.#timeout}s`, {
        cause: error,
      });
    if (/pixel limit/i.test(text))
      return new ImageProcessingError('E_TOO_MANY_PIXELS', text, { cause: error });
    return new ImageProcessingError(code, `${message}: ${text}`, { cause: error });
  }

  #stamp(jobId: string, preset: VariantPreset, sourceDigest: string): string {
    return createHash('sha256')
      .update(`${jobId}\0${JSON.stringify(preset)}\0${sourceDigest}`)
      .digest('hex')
      .slice(0, 12);
  }

  /** Writes every output or none: on failure, removes what this call wrote. Then drops stale outputs of the job. */
  async #store(
    job: ImageJob,
    writes: Array<{ key: string; data: Buffer; contentType: string }>,
    jobPrefix: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const metadata = { 'job-id': job.id, tool: String(job.tool) };
    const results = await Promise.allSettled(
      writes.map((w) =>
        this.#storage.upload(w.key, w.data, w.contentType, {
          cacheControl: this.#cacheControl,
          metadata,
          signal,
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.allSettled(writes.map((w) => this.#storage.delete(w.key)));
      throw failed.reason;
    }
    // A retry after the presets or the source changed leaves older outputs: remove them.
    const keep = new Set(writes.map((w) => w.key));
    for await (const item of this.#storage.listAll(jobPrefix)) {
      if (!keep.has(item.key)) await this.#storage.delete(item.key).catch(() => {});
    }
  }

  async #stage<T>(stage: string, fn: () => Promise<T>, variant = ''): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      this.#monitoring.timing('image_stage_ms', performance.now() - started, { stage, variant });
    }
  }

  #classify(error: unknown): unknown {
    if (error instanceof ImageProcessingError || (error as Error)?.name === 'AbortError')
      return error;
    if (isStorageError(error)) {
      return new ImageProcessingError('E_STORAGE', `Storage failed: ${error.message}`, {
        cause: error,
      });
    }
    return new ImageProcessingError(
      'E_STORAGE',
      `Image job failed: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
}
