import { randomUUID } from 'node:crypto';
import {
  MAX_PARTS,
  MAX_PART_BYTES,
  MIN_PART_BYTES,
  isStorageError,
  uploadPrefix,
} from '@monorepo/storage';
import type { CompletedPart, ObjectInfo, StorageAdapter, UploadedPart } from '@monorepo/storage';
import { LimitExceededError, intentIdOfStagingKey, stagingKey } from '@monorepo/tenant-limits';
import type { UploadIntent } from '@monorepo/tenant-limits';
import type { ApiConfig } from '../api-config.js';
import { sanitizeFilename } from '../files/ownership.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { ApiLimits } from '../limits/api-limits.js';
import { IntentCompletion } from './intent-completion.js';

const ID = /^[0-9a-f-]{36}$/;
const gone = () => notFound('No such upload in progress (completed, expired, or not yours)');

/** What a client announces for a multipart upload. */
export interface MultipartAnnouncement {
  name: string;
  contentType: string;
  size: number;
  visibility?: 'public' | 'private';
}

/** Most parts an upload of `size` bytes can need: all but the last are at least 5 MiB. */
export function maxPartsFor(size: number): number {
  return Math.min(MAX_PARTS, Math.max(1, Math.ceil(size / MIN_PART_BYTES)));
}

/**
 * Multipart direct uploads (resumable): an intent like the single-request ones (its announced size and one
 * object reserved against the quota, the open-intent cap, the same expiry and janitor), whose bytes go part by
 * part straight to the store's multipart upload at the intent's staging key (S3), or through this API's part
 * route into the local backend's staging area (local storage: see {@link receivePart}). Part URLs are signed for one part
 * number of that upload only, and only up to the number of parts the announced size can need; the parts are no
 * object (nothing can read, list, sign or process them). Completion takes the intent into `completing` (one
 * winner), checks the store's own list of parts — against the client's list when it sends one, and their total
 * against the announced size — before assembling, then runs the checks every intent gets (size, sniffed type)
 * and moves the object to its final key; only then is it counted. Used by `/v1/uploads/multipart…` and by the
 * Uppy Companion routes (`/s3/multipart…`).
 */
export class MultipartUploads {
  readonly #completion: IntentCompletion;

  constructor(
    private readonly storage: StorageAdapter,
    private readonly config: ApiConfig,
    private readonly limits: ApiLimits,
  ) {
    this.#completion = new IntentCompletion(
      storage,
      limits.intents,
      limits.usage,
      config.API_REQUEST_TIMEOUT_MS + 60_000,
    );
  }

  /**
   * Whether the store takes multipart uploads (S3: parts go to the bucket; local storage: to this API's
   * `PUT /v1/uploads/multipart/part`); elsewhere every multipart call answers `E_VALIDATION`.
   */
  get available(): boolean {
    return Boolean(this.storage.capabilities.directMultipart && this.storage.createMultipartUpload);
  }

  /** Announces an upload: reserves it, starts the store's multipart upload at the staging key. */
  async create(user: string, announced: MultipartAnnouncement): Promise<UploadIntent> {
    this.#requireCapability();
    const max = Math.min(this.config.API_MULTIPART_MAX_BYTES, MAX_PARTS * MAX_PART_BYTES);
    if (announced.size > max)
      throw new ApiError('E_TOO_LARGE', `Multipart uploads are at most ${max} bytes`);
    const id = randomUUID();
    const { uploadId } = await this.storage.createMultipartUpload!(stagingKey(id), {
      contentType: announced.contentType,
    });
    try {
      const { intent } = await this.limits.intents.create({
        id,
        user,
        key: `${uploadPrefix(user)}${id}/${sanitizeFilename(announced.name)}`,
        contentType: announced.contentType,
        size: announced.size,
        visibility: announced.visibility ?? this.config.API_UPLOAD_VISIBILITY,
        expiresAt: Date.now() + this.config.API_MULTIPART_TTL_S * 1000,
        multipartUploadId: uploadId,
      });
      return intent;
    } catch (error) {
      await this.storage.abortMultipartUpload!(stagingKey(id), uploadId).catch(() => undefined);
      if (error instanceof LimitExceededError && error.code === 'E_TOO_MANY_UPLOADS')
        throw new ApiError(error.code, error.message, { 'retry-after': '60' });
      throw error;
    }
  }

  /** The caller's open multipart intent `id`, or 404 (unknown, someone else's, settled, expired). */
  async open(user: string, id: string, key?: string): Promise<UploadIntent> {
    if (!ID.test(id)) throw gone();
    const intent = await this.limits.intents.get(user, id);
    if (
      !intent?.multipartUploadId ||
      intent.state !== 'open' ||
      intent.expiresAt <= Date.now() ||
      (key !== undefined && key !== intent.key)
    )
      throw gone();
    return intent;
  }

  /** A URL to PUT part `partNumber`, valid until the intent expires (at most 1 h). */
  async signPart(
    user: string,
    id: string,
    partNumber: number,
    key?: string,
  ): Promise<{ url: string; expiresAt: Date }> {
    this.#requireCapability();
    const intent = await this.open(user, id, key);
    const most = maxPartsFor(intent.size);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > most)
      throw new ApiError(
        'E_VALIDATION',
        `Part numbers of this upload go from 1 to ${most} (parts of at least ${MIN_PART_BYTES} bytes but the last)`,
      );
    const expiresIn = Math.max(
      1,
      Math.min(3600, Math.floor((intent.expiresAt - Date.now()) / 1000)),
    );
    // Every part before this one holds at least MIN_PART_BYTES: this one cannot need more than what is left
    // (local storage refuses a longer part as it arrives; S3 cannot pin it, the completion checks the total).
    const maxBytes = Math.min(MAX_PART_BYTES, intent.size - (partNumber - 1) * MIN_PART_BYTES);
    const url = await this.storage.signUploadPart!(
      stagingKey(id),
      intent.multipartUploadId!,
      partNumber,
      { expiresIn, maxBytes },
    );
    return { url, expiresAt: new Date(Date.now() + expiresIn * 1000) };
  }

  /** The parts the store holds (to resume after a reload). */
  async listParts(user: string, id: string, key?: string): Promise<UploadedPart[]> {
    this.#requireCapability();
    const intent = await this.open(user, id, key);
    return this.#parts(intent);
  }

  /**
   * Completes: assembles the store's parts (refused, nothing stored, when the client's list names parts the
   * store does not hold as named, or when the parts do not add up to the announced size), then the checks of
   * every intent. Exactly one of concurrent completes gets past `completing`.
   */
  async complete(
    user: string,
    id: string,
    claimed: readonly CompletedPart[] | undefined,
    key?: string,
  ): Promise<{ intent: UploadIntent; info: ObjectInfo }> {
    this.#requireCapability();
    await this.open(user, id, key);
    return this.#completion.complete(user, id, async (intent) => {
      const stored = await this.#parts(intent);
      const problem = this.#partsProblem(intent, stored, claimed);
      if (problem) throw new ApiError('E_VALIDATION', problem);
      await this.storage.completeMultipartUpload!(
        stagingKey(id),
        intent.multipartUploadId!,
        stored.map(({ partNumber, etag }) => ({ partNumber, etag })),
      );
    });
  }

  /**
   * The bytes of one part on backends whose part URLs point at this API (local storage): only for an intent
   * still open (not expired, aborted or being completed); the URL itself is checked by the store (signature,
   * expiry, part, size, single use). Streamed; a part cut off keeps nothing and its URL may be used again.
   */
  async receivePart(
    url: string,
    body: NodeJS.ReadableStream,
    options: { contentLength?: number; signal?: AbortSignal },
  ): Promise<UploadedPart> {
    const id = intentIdOfStagingKey(
      new URL(url, 'http://api.invalid').searchParams.get('key') ?? '',
    );
    const user = id ? await this.limits.intents.ownerOf(id) : undefined;
    const intent = user && id ? await this.limits.intents.get(user, id) : undefined;
    if (!intent?.multipartUploadId || intent.state !== 'open' || intent.expiresAt <= Date.now())
      throw gone();
    if (!this.storage.receiveUploadPart)
      throw new ApiError(
        'E_VALIDATION',
        `The ${this.storage.backend} backend receives its parts itself`,
      );
    return this.storage.receiveUploadPart(url, body, options);
  }

  /** Gives the upload up: the store drops its parts, and the reservation is released. */
  async abort(user: string, id: string, key?: string): Promise<void> {
    const intent = await this.open(user, id, key);
    if (!(await this.limits.intents.abort(user, id))) throw gone();
    await this.storage.abortMultipartUpload!(stagingKey(id), intent.multipartUploadId!);
    await this.storage.delete(stagingKey(id));
    await this.limits.intents.release(user, id);
  }

  #partsProblem(
    intent: UploadIntent,
    stored: readonly UploadedPart[],
    claimed: readonly CompletedPart[] | undefined,
  ): string | undefined {
    if (stored.length === 0) return 'No part was uploaded';
    if (claimed) {
      const held = new Map(stored.map((part) => [part.partNumber, normalizeEtag(part.etag)]));
      const named = new Set<number>();
      for (const part of claimed) {
        if (held.get(part.partNumber) !== normalizeEtag(part.etag))
          return `Part ${part.partNumber} is not stored as named`;
        named.add(part.partNumber);
      }
      if (named.size !== stored.length) return 'The part list does not name every stored part';
    }
    const total = stored.reduce((sum, part) => sum + part.size, 0);
    if (total !== intent.size)
      return `The parts hold ${total} bytes, not the ${intent.size} announced`;
    for (let i = 0; i < stored.length; i += 1)
      if (stored[i]!.partNumber !== i + 1) return `Part ${i + 1} is missing`;
    return undefined;
  }

  async #parts(intent: UploadIntent): Promise<UploadedPart[]> {
    return this.storage.listUploadParts!(stagingKey(intent.id), intent.multipartUploadId!).catch(
      (error: unknown) => {
        if (isStorageError(error, 'ENOENT')) throw gone();
        throw error;
      },
    );
  }

  #requireCapability(): void {
    if (!this.available)
      throw new ApiError(
        'E_VALIDATION',
        `The ${this.storage.backend} backend takes no multipart uploads; use POST /v1/uploads (single request)`,
      );
  }
}

/** ETags as stores quote them (`"…"`); clients may send them bare. */
export function normalizeEtag(etag: string): string {
  const bare = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return `"${bare}"`;
}
