import {
  AI_DIGITAL_SOURCE_TYPE,
  ImagingError,
  OUTPUT_FORMATS,
  canonicalTransform,
  checkSourceUrl,
  openSource,
  parseImagingPath,
  parseSourceRef,
  parseTransformOptions,
  provenanceXmp,
  readSource,
  renderHash,
  renderTransform,
  verifyImagingSignature,
} from '@monorepo/image-processor';
import type {
  ImagingKey,
  ImagingPresets,
  OutputFormat,
  SourcePolicy,
  TransformSpec,
} from '@monorepo/image-processor';
import {
  defaultVisibility,
  derivedKey,
  isStorageError,
  ownsKey,
  validateKey,
} from '@monorepo/storage';
import type { ObjectInfo, StorageAdapter } from '@monorepo/storage';
import type { RequestRateLimiter } from '@monorepo/tenant-limits';
import type { Logger } from 'pino';
import type { ImagingMetrics } from './imaging-metrics.js';
import type { RenderLock } from './render-lock.js';
import type { RenderSlots } from './render-slots.js';

/** How a transform request is answered. */
export type Answer = {
  headers: Record<string, string>;
} & (
  | { kind: 'bytes'; data: Buffer }
  | { kind: 'stream'; stream: NodeJS.ReadableStream }
  | { kind: 'redirect' }
);

/** What the render service is built from. */
export interface RenderServiceDeps {
  storage: StorageAdapter;
  keys: readonly ImagingKey[];
  presets: ImagingPresets;
  lock: RenderLock;
  slots: RenderSlots;
  rate: RequestRateLimiter;
  metrics: ImagingMetrics;
  logger: Logger;
  /**
   * Records that a render was used (for the janitor's least-recently-used trimming) and, when just made from a
   * stored source, which source and version it came from (the janitor drops it once the source changes).
   */
  touch: (key: string, source?: { key: string; version: string }) => void;
  settings: {
    /** The configured bucket, on S3: `s3://<bucket>/…` sources must name it. */
    bucket?: string;
    allowRemote: boolean;
    policy: SourcePolicy;
    maxSourceBytes: number;
    maxPixels: number;
    maxOutputPixels: number;
    timeoutSeconds: number;
    /** Internal nginx path for cache hits on local storage (`X-Accel-Redirect`); empty: stream them. */
    accelRedirect: string;
  };
}

const YEAR = 31_536_000;

/** A resolved source: where its bytes come from, its identity and version, and who may cache renders of it. */
interface Source {
  id: string;
  /** The storage key, for stored sources. */
  storedKey?: string;
  version: string;
  shared: boolean;
  read: () => Promise<NodeJS.ReadableStream & { destroy?: () => void }>;
  declaredBytes?: number;
  info?: ObjectInfo;
}

/**
 * One transform request, start to end: the URL taken apart and its signature checked (no source is touched for a
 * URL that fails), the options and the signer's right to the source checked, then the render found in
 * `derived/` or made once across every process (the render lock), stored, and answered.
 */
export class RenderService {
  constructor(private readonly deps: RenderServiceDeps) {}

  /**
   * Answers `path` (`/<signature>/<options>/<source>`, without the service's prefix) for a client that sends `accept`.
   *
   * @throws {ImagingError} or {@link ImageProcessingError} with the code to answer.
   */
  async answer(path: string, accept: string): Promise<Answer> {
    const { deps } = this;
    const parsed = parseImagingPath(path);
    const team = verifyImagingSignature(parsed.signature, parsed.signedPath, deps.keys);
    if (!team)
      throw new ImagingError('E_BAD_SIGNATURE', 'The URL is not signed by a configured key');
    const spec = parseTransformOptions(parsed.options, deps.presets);
    const now = Math.floor(Date.now() / 1000);
    if (spec.expires !== undefined && spec.expires <= now)
      throw new ImagingError('E_URL_EXPIRED', 'The URL has expired');
    const explicit = parsed.format ?? spec.format;
    const format = explicit ?? negotiate(accept);
    const source = await this.#resolve(parsed.source, team);
    const ext = OUTPUT_FORMATS[format].ext;
    const hash = renderHash(source.id, source.version, canonicalTransform(spec, format));
    const key = derivedKey(hash, ext);
    const headers: Record<string, string> = {
      'content-type': OUTPUT_FORMATS[format].contentType,
      'cache-control': cacheControl(source.shared, spec.expires, now),
      'x-content-type-options': 'nosniff',
      ...(explicit ? {} : { vary: 'Accept' }),
    };

    const stored = () => this.#stored(key, hash, ext, !explicit, headers);
    const hit = await stored();
    if (hit) {
      deps.metrics.hits.inc();
      deps.touch(key);
      return hit;
    }
    deps.metrics.misses.inc();
    const { value, coalesced } = await deps.lock.once(hash, stored, () =>
      this.#render(team, source, spec, format, key),
    );
    if (coalesced) deps.metrics.coalesced.inc();
    return value.kind === 'bytes' ? { ...value, headers } : value;
  }

  async #stored(
    key: string,
    hash: string,
    ext: string,
    negotiated: boolean,
    headers: Record<string, string>,
  ): Promise<Answer | undefined> {
    const { storage, settings } = this.deps;
    if (settings.accelRedirect) {
      if (!(await storage.exists(key))) return undefined;
      const location = `${settings.accelRedirect.replace(/\/$/, '')}/${negotiated ? 'derived-vary' : 'derived'}/${hash}.${ext}`;
      return { kind: 'redirect', headers: { ...headers, 'x-accel-redirect': location } };
    }
    try {
      return { kind: 'stream', stream: await storage.downloadStream(key), headers };
    } catch (error) {
      if (isStorageError(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async #render(
    team: string,
    source: Source,
    spec: TransformSpec,
    format: OutputFormat,
    key: string,
  ): Promise<{ value: Answer & { kind: 'bytes' }; stored: Promise<void> }> {
    const { deps } = this;
    const decision = await deps.rate.consume(team);
    if (!decision.allowed)
      throw new ImagingError('E_RATE_LIMITED', 'The team renders more than its rate allows', {
        retryAfter: decision.resetSeconds,
      });
    const rendered = await deps.slots.run(async () => {
      deps.metrics.sourceReads.inc();
      const input = await readSource(
        await source.read(),
        { imageBytes: deps.settings.maxSourceBytes, videoBytes: 0 },
        source.declaredBytes,
        undefined,
        { digest: false },
      );
      if (input.kind !== 'image') throw new ImagingError('E_UNSUPPORTED_FORMAT', 'Not an image');
      const tool = source.info?.metadata.tool;
      const xmp = tool
        ? provenanceXmp({
            digitalSourceType: AI_DIGITAL_SOURCE_TYPE,
            creatorTool: tool,
            ...(source.info?.metadata.model ? { model: source.info.metadata.model } : {}),
          })
        : undefined;
      const started = performance.now();
      const out = await renderTransform(
        input.bytes,
        spec,
        format,
        {
          maxPixels: deps.settings.maxPixels,
          maxOutputPixels: deps.settings.maxOutputPixels,
          timeoutSeconds: deps.settings.timeoutSeconds,
          failOn: 'warning',
        },
        xmp,
      );
      deps.metrics.renderSeconds.observe({ format }, (performance.now() - started) / 1000);
      deps.metrics.renders.inc({ format });
      return out;
    });
    const stored = deps.storage
      // Private (the default of derived/): readable only through this service, which checks each URL's signer.
      .upload(key, rendered.data, OUTPUT_FORMATS[format].contentType, { visibility: 'private' })
      .then(
        () =>
          deps.touch(
            key,
            source.storedKey ? { key: source.storedKey, version: source.version } : undefined,
          ),
        (error: unknown) => deps.logger.warn({ err: error, key }, 'storing a render failed'),
      );
    return { value: { kind: 'bytes', data: rendered.data, headers: {} }, stored };
  }

  async #resolve(raw: string, team: string): Promise<Source> {
    const { storage, settings } = this.deps;
    const ref = parseSourceRef(raw);
    if (ref.kind === 'url') {
      if (!settings.allowRemote)
        throw new ImagingError('E_FORBIDDEN_SOURCE', 'Remote sources are not enabled here');
      const url = checkSourceUrl(ref.url, settings.policy).href;
      return {
        id: `url:${url}`,
        version: '',
        shared: true,
        read: async () => {
          const opened = await openSource(url, settings.policy);
          return opened.stream;
        },
      };
    }
    if (ref.bucket !== undefined && ref.bucket !== settings.bucket)
      throw new ImagingError(
        'E_FORBIDDEN_SOURCE',
        'The source names a bucket this service does not read',
      );
    try {
      validateKey(ref.key);
    } catch {
      throw new ImagingError('E_VALIDATION', 'The source key is not a valid key');
    }
    const owned = ownsKey(team, ref.key);
    const denied = () =>
      new ImagingError('E_ACCESS_DENIED', "The URL's signer may not read this source");
    let info: ObjectInfo;
    try {
      info = await storage.stat(ref.key);
    } catch (error) {
      // Another team's key answers the same whether it exists or not.
      if (isStorageError(error, 'ENOENT'))
        throw owned ? new ImagingError('E_NOT_FOUND', 'The source does not exist') : denied();
      throw error;
    }
    const shared = (info.visibility ?? defaultVisibility(ref.key)) === 'public';
    if (!owned && !shared) throw denied();
    return {
      id: `key:${ref.key}`,
      storedKey: ref.key,
      version: info.etag,
      shared,
      declaredBytes: info.size,
      info,
      read: () =>
        storage.downloadStream(ref.key) as Promise<
          NodeJS.ReadableStream & { destroy?: () => void }
        >,
    };
  }
}

/** AVIF, else WebP, else JPEG, by what the client accepts (nginx keys its cache by the same three classes). */
export function negotiate(accept: string): OutputFormat {
  if (/image\/avif/i.test(accept)) return 'avif';
  if (/image\/webp/i.test(accept)) return 'webp';
  return 'jpeg';
}

/**
 * Public sources: immutable for a year (the URL is signed; a new source version is a new render). Private ones are
 * for the URL's holder only, unless the URL expires: then shared caches may keep it until then.
 */
function cacheControl(shared: boolean, expires: number | undefined, now: number): string {
  // An expiring URL may be kept by shared caches until it expires, whoever may read the source.
  if (expires !== undefined) {
    const left = Math.max(0, Math.min(YEAR, expires - now));
    return `public, max-age=${left}, immutable`;
  }
  return shared ? `public, max-age=${YEAR}, immutable` : 'private, max-age=3600';
}
