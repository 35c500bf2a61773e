import { createHash } from 'node:crypto';
import {
  isStorageError,
  jobOriginalKey,
  jobOutputPrefix,
  noopMonitoring,
} from '@monorepo/storage-core';
import type { Monitoring, StorageAdapter } from '@monorepo/storage-core';
import { decodeOnce, encodeVariant } from './codecs.js';
import type { CodecSettings } from './codecs.js';
import type { ProcessResult, StoredVariant } from './contract/image-job.js';
import { imageJobSchema } from './contract/image-job-schema.js';
import type { ImageJob } from './contract/image-job-schema.js';
import { ImageProcessingError } from './contract/image-processing-error.js';
import { isImageTool } from './contract/image-tool.js';
import { checkSourceUrl } from './contract/source-url.js';
import { AI_DIGITAL_SOURCE_TYPE, hasC2paManifest, provenanceXmp } from './contract/provenance.js';
import type { Provenance } from './contract/provenance.js';
import type { SourcePolicy } from './contract/source-policy.js';
import type { ImageProcessorOptions, ProcessOptions } from './image-processor-options.js';
import { readWithinLimit } from './read-within-limit.js';
import { safeFetch } from './safe-fetch.js';
import { sniffImageFormat } from './contract/sniff-format.js';
import { placeholders } from './placeholders.js';
import { storeOutputs } from './store-outputs.js';
import type { OutputWrite } from './store-outputs.js';
import { DEFAULT_VARIANTS, FORMAT_INFO } from './variant-preset.js';
import type { VariantPreset } from './variant-preset.js';

const PRESET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

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
    this.#codec = {
      maxPixels: options.maxInputPixels ?? 50_000_000,
      timeoutSeconds: options.timeoutSeconds ?? 30,
      failOn: options.failOn ?? 'warning',
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
    const progress = (p: number) => onProgress?.(p);
    progress(5);

    const source = await this.#stage('fetch', () => this.#fetch(job, signal));
    signal?.throwIfAborted();
    progress(25);

    const format = await sniffImageFormat(source);
    const decoded = await this.#stage('decode', () => decodeOnce(source, this.#codec));
    signal?.throwIfAborted();
    progress(45);

    const digest = createHash('sha256').update(source).digest('hex');
    const provenance: Provenance = {
      digitalSourceType: AI_DIGITAL_SOURCE_TYPE,
      creatorTool: job.tool,
      ...(job.model ? { model: job.model } : {}),
      sourceSha256: digest,
      c2pa: hasC2paManifest(source) ? 'present' : 'absent',
    };
    const xmp = provenanceXmp(provenance);
    const [placeholder, ...encoded] = await Promise.all([
      this.#stage('placeholder', () => placeholders(decoded)),
      ...this.#variants.map((preset) =>
        this.#stage('encode', () => encodeVariant(decoded, preset, this.#codec, xmp), preset.name),
      ),
    ]);
    signal?.throwIfAborted();
    progress(80);

    const outputs = jobOutputPrefix(job.tool, job.userId, job.id);
    const visibility = job.visibility ?? this.#visibility;
    const writes: OutputWrite[] = encoded.map((e) => ({
      key: `${outputs}${e.preset.name}-${this.#stamp(job.id, e.preset, digest)}.${FORMAT_INFO[e.preset.format].ext}`,
      data: e.data,
      contentType: FORMAT_INFO[e.preset.format].contentType,
    }));
    const originalKey = job.sourceUrl
      ? jobOriginalKey(job.tool, job.userId, job.id, format.ext)
      : undefined;
    if (originalKey) writes.push({ key: originalKey, data: source, contentType: format.mime });

    await this.#stage('store', () =>
      storeOutputs(this.#storage, writes, outputs, {
        metadata: {
          'job-id': job.id,
          tool: String(job.tool),
          ...(job.model ? { model: job.model } : {}),
          'source-sha256': digest,
        },
        cacheControl: this.#cacheControl,
        visibility,
        signal,
      }),
    );
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

  async #fetch(job: ImageJob, signal?: AbortSignal): Promise<Buffer> {
    if (job.sourceUrl) return (await safeFetch(job.sourceUrl, this.#policy, signal)).bytes;
    const key = job.sourceKey!;
    try {
      return await readWithinLimit(await this.#storage.downloadStream(key), this.#policy.maxBytes);
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

  #stamp(jobId: string, preset: VariantPreset, sourceDigest: string): string {
    return createHash('sha256')
      .update(`${jobId}\0${JSON.stringify(preset)}\0${sourceDigest}`)
      .digest('hex')
      .slice(0, 12);
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
