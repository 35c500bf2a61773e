import { createReadStream } from 'node:fs';
import {
  isStorageError,
  jobOriginalKey,
  jobOutputPrefix,
  noopMonitoring,
} from '@monorepo/storage-core';
import type { Monitoring, StorageAdapter } from '@monorepo/storage-core';
import { decodeOnce, encodeVariant, readHeader } from './codecs.js';
import type { CodecSettings, Decoded, SourceSize } from './codecs.js';
import type { ProcessResult, StoredVariant, VideoResult } from './contract/image-job.js';
import { imageJobSchema } from './contract/image-job-schema.js';
import type { ImageJob } from './contract/image-job-schema.js';
import { ImageProcessingError } from './contract/image-processing-error.js';
import { isImageTool } from './contract/image-tool.js';
import { checkSourceUrl } from './contract/source-url.js';
import { AI_DIGITAL_SOURCE_TYPE, provenanceXmp } from './contract/provenance.js';
import type { Provenance } from './contract/provenance.js';
import type { SourcePolicy } from './contract/source-policy.js';
import { FORMAT_INFO, presetConfig, resolvePresetSet } from './contract/variant-presets.js';
import type { PresetConfig, VariantPreset } from './contract/variant-presets.js';
import type { ImageProcessorOptions, ProcessOptions } from './image-processor-options.js';
import { openSource } from './safe-fetch.js';
import { placeholders } from './placeholders.js';
import { readSource } from './source-input.js';
import type { SourceInput, SourceLimits } from './source-input.js';
import { storeOutputs } from './store-outputs.js';
import type { OutputWrite } from './store-outputs.js';
import { srcsets } from './contract/srcset.js';
import { negotiated, planVariants, shrinkOnLoad } from './variant-plan.js';
import { VIDEO_CONTAINERS, extractPoster, posterTime, probeVideo } from './video.js';
import type { VideoProbe, VideoSettings } from './video.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Turns a source image (or a video's poster frame) into stored variants. It receives a storage adapter,
 * never a configuration, and writes:
 *
 * - `processed/<tool>/<userId>/<jobId>/<variant>-<stamp>.<ext>` per preset of the job's preset set;
 * - `generated/<tool>/<userId>/<jobId>/original.<ext>` for `sourceUrl` sources (a video streamed from a temp file).
 *
 * The stamp is derived from the job id, the preset and the source bytes, so a
 * retry of the same job writes the same keys (no duplicates), while changed
 * presets or content get new URLs (safe under immutable caching). Nothing is
 * stored until every variant is encoded; a failed store removes what it wrote.
 */
export class ImageProcessor {
  readonly #storage: StorageAdapter;
  readonly #monitoring: Monitoring;
  readonly #presets: PresetConfig;
  readonly #policy: SourcePolicy;
  readonly #limits: SourceLimits;
  readonly #video: VideoSettings;
  readonly #codec: CodecSettings;
  readonly #cacheControl: string;
  readonly #visibility: 'public' | 'private';

  constructor(
    storage: StorageAdapter,
    monitoring: Monitoring = noopMonitoring,
    options: ImageProcessorOptions = {},
  ) {
    this.#storage = storage;
    this.#monitoring = monitoring;
    const defaults: Record<string, readonly VariantPreset[]> = options.variants
      ? { default: options.variants }
      : {};
    this.#presets = options.presets
      ? presetConfig({ ...options.presets.sets, ...defaults }, options.presets.byTool)
      : presetConfig(defaults);
    this.#policy = {
      allowPrivateNetworks: options.allowPrivateNetworks ?? false,
      allowedHosts: options.allowedHosts ?? [],
      allowedPorts: options.allowedPorts ?? [80, 443],
      maxBytes: options.maxSourceBytes ?? 50 * 1024 * 1024,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      totalTimeoutMs: options.fetchTimeoutMs ?? 30_000,
      maxRedirects: options.maxRedirects ?? 3,
    };
    this.#codec = {
      maxPixels: options.maxInputPixels ?? 50_000_000,
      timeoutSeconds: options.timeoutSeconds ?? 30,
      failOn: options.failOn ?? 'warning',
    };
    this.#limits = {
      imageBytes: this.#policy.maxBytes,
      videoBytes: options.maxVideoBytes ?? 200 * 1024 * 1024,
      ...(options.tempDir ? { tempDir: options.tempDir } : {}),
    };
    this.#video = {
      ffmpegPath: options.ffmpegPath ?? 'ffmpeg',
      ffprobePath: options.ffprobePath ?? 'ffprobe',
      maxSeconds: options.maxVideoSeconds ?? 600,
      maxPixels: this.#codec.maxPixels,
      timeoutSeconds: this.#codec.timeoutSeconds,
      codecs: options.videoCodecs ?? ['h264', 'hevc', 'vp8', 'vp9', 'av1'],
      memoryBytes: 2 * 1024 * 1024 * 1024,
    };
    this.#cacheControl = options.cacheControl ?? IMMUTABLE;
    this.#visibility = options.visibility ?? 'public';
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
    const { name: presetSet, presets } = resolvePresetSet(this.#presets, job);
    const progress = (p: number) => onProgress?.(p);
    progress(5);

    const source = await this.#stage('fetch', () => this.#fetch(job, signal));
    try {
      signal?.throwIfAborted();
      progress(25);
      let video: { probe: VideoProbe; posterAt: number } | undefined;
      let still: Buffer;
      if (source.kind === 'video') {
        const { demuxer } = VIDEO_CONTAINERS[source.format.ext]!;
        const probe = await this.#stage('probe', () =>
          probeVideo(source.file, demuxer, this.#video, signal),
        );
        const posterAt = posterTime(probe.durationSeconds);
        still = await this.#stage('poster', () =>
          extractPoster(source.file, demuxer, posterAt, this.#video, signal),
        );
        video = { probe, posterAt };
      } else still = source.bytes;

      const size = await readHeader(still, this.#codec);
      const decoded = await this.#stage('decode', () =>
        decodeOnce(still, this.#codec, shrinkOnLoad(presets, size.width, size.height)),
      );
      signal?.throwIfAborted();
      progress(45);
      return await this.#makeVariants(job, { presetSet, presets }, source, size, decoded, video, {
        signal,
        progress,
      });
    } finally {
      if (source.kind === 'video') await source.dispose();
    }
  }

  async #makeVariants(
    job: ImageJob,
    { presetSet, presets }: { presetSet: string; presets: readonly VariantPreset[] },
    source: SourceInput,
    size: SourceSize,
    decoded: Decoded,
    video: { probe: VideoProbe; posterAt: number } | undefined,
    { signal, progress }: { signal?: AbortSignal | undefined; progress: (p: number) => void },
  ): Promise<ProcessResult> {
    const provenance: Provenance = {
      digitalSourceType: AI_DIGITAL_SOURCE_TYPE,
      creatorTool: job.tool,
      ...(job.model ? { model: job.model } : {}),
      sourceSha256: source.sha256,
      c2pa: source.c2pa ? 'present' : 'absent',
    };
    const xmp = provenanceXmp(provenance);
    const outputs = jobOutputPrefix(job.tool, job.userId, job.id);
    const planned = planVariants(presets, { ...size, digest: source.sha256 }, job.id, outputs);
    const [placeholder, ...encoded] = await Promise.all([
      this.#stage('placeholder', () => placeholders(decoded)),
      ...planned.map(({ preset }) =>
        this.#stage('encode', () => encodeVariant(decoded, preset, this.#codec, xmp), preset.name),
      ),
    ]);
    signal?.throwIfAborted();
    progress(80);

    const visibility = job.visibility ?? this.#visibility;
    const writes: OutputWrite[] = encoded.map((e, i) => ({
      key: planned[i]!.key,
      data: e.data,
      contentType: FORMAT_INFO[e.preset.format].contentType,
    }));
    const originalKey = job.sourceUrl
      ? jobOriginalKey(job.tool, job.userId, job.id, source.format.ext)
      : undefined;
    if (originalKey)
      writes.push({
        key: originalKey,
        data:
          source.kind === 'video'
            ? { stream: () => createReadStream(source.file), bytes: source.size }
            : source.bytes,
        contentType: source.format.mime,
      });

    await this.#stage('store', () =>
      storeOutputs(this.#storage, writes, outputs, {
        metadata: {
          'job-id': job.id,
          tool: String(job.tool),
          ...(job.model ? { model: job.model } : {}),
          'source-sha256': source.sha256,
        },
        cacheControl: this.#cacheControl,
        visibility,
        signal,
      }),
    );
    progress(100);

    const urlOf = (key: string) => this.#storage.getPublicUrl(key);
    const variants: StoredVariant[] = encoded.map((e, i) => ({
      name: e.preset.name,
      key: writes[i]!.key,
      url: urlOf(writes[i]!.key),
      format: e.preset.format,
      contentType: FORMAT_INFO[e.preset.format].contentType,
      width: e.width,
      height: e.height,
      bytes: e.data.length,
    }));
    const videoKey = originalKey ?? job.sourceKey!;
    const videoResult: VideoResult | undefined = video && {
      key: videoKey,
      url: urlOf(videoKey),
      format: source.format.format,
      contentType: source.format.mime,
      bytes: source.size,
      durationSeconds: video.probe.durationSeconds,
      width: video.probe.width,
      height: video.probe.height,
      codec: video.probe.codec,
      posterAtSeconds: video.posterAt,
    };
    return {
      jobId: job.id,
      tool: job.tool,
      userId: job.userId,
      source: {
        format: source.format.format,
        width: video?.probe.width ?? size.width,
        height: video?.probe.height ?? size.height,
        bytes: source.size,
      },
      ...(originalKey
        ? {
            original: {
              key: originalKey,
              url: urlOf(originalKey),
              format: source.format.format,
              bytes: source.size,
            },
          }
        : {}),
      presetSet,
      variants,
      srcset: srcsets(variants),
      negotiated: negotiated(planned, variants, urlOf),
      ...(videoResult ? { video: videoResult } : {}),
      visibility,
      provenance,
      placeholder,
    };
  }

  #validate(job: ImageJob): void {
    // The source policy speaks first, so a non-http(s) URL is refused as a forbidden source.
    if (typeof job?.sourceUrl === 'string') checkSourceUrl(job.sourceUrl, this.#policy);
    const parsed = imageJobSchema.safeParse(job);
    if (!parsed.success)
      throw new ImageProcessingError(
        'E_INVALID_JOB',
        `Invalid job: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'job'}: ${i.message}`).join('; ')}`,
      );
  }

  async #fetch(job: ImageJob, signal?: AbortSignal): Promise<SourceInput> {
    if (job.sourceUrl) {
      const opened = await openSource(job.sourceUrl, this.#policy, signal);
      return readSource(opened.stream, this.#limits, opened.declaredBytes, opened.mapError);
    }
    const key = job.sourceKey!;
    try {
      return await readSource(await this.#storage.downloadStream(key), this.#limits, undefined);
    } catch (error) {
      if (isStorageError(error, 'ENOENT') || isStorageError(error, 'EINVAL')) {
        throw new ImageProcessingError(
          'E_NOT_FOUND',
          `No stored source at ${JSON.stringify(key)}`,
          { cause: error },
        );
      }
      throw error;
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
      'E_INTERNAL',
      `Image job failed: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
}
