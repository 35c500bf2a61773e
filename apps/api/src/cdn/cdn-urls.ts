import { signCdnUrl } from '@monorepo/storage';
import type { StorageAdapter, Visibility } from '@monorepo/storage';
import type { ApiConfig } from '../api-config.js';
import { ApiError } from '../http/api-error.js';

/** A URL that works now for whoever holds it. */
export interface IssuedUrl {
  url: string;
  /** When a signed URL stops working (ISO 8601); absent for public URLs. */
  expiresAt?: string;
}

/**
 * The URLs the API hands out. A public object gets its CDN URL; a private one a signed CDN URL that the CDN
 * verifies without calling back: on local storage nginx's `secure_link` (keys shared through
 * `CDN_SIGNING_KEYS`), on S3 a presigned query that nginx passes through for the bucket to check.
 */
export class CdnUrls {
  constructor(
    private readonly storage: StorageAdapter,
    private readonly config: Pick<
      ApiConfig,
      'CDN_SIGNING_KEYS' | 'API_SIGNED_URL_TTL_S' | 'API_SIGNED_URL_MAX_S'
    >,
  ) {}

  /** The object's URL: its public one, or a signed one of the default lifetime when it is private. */
  async urlFor(key: string, visibility: Visibility): Promise<IssuedUrl> {
    return visibility === 'public' ? { url: this.storage.getPublicUrl(key) } : this.signed(key);
  }

  /**
   * A signed CDN URL for `key`, valid for `expiresIn` seconds (default `API_SIGNED_URL_TTL_S`).
   *
   * @throws {ApiError} `E_VALIDATION` for a lifetime out of range.
   */
  async signed(key: string, expiresIn = this.config.API_SIGNED_URL_TTL_S): Promise<IssuedUrl> {
    const max = this.config.API_SIGNED_URL_MAX_S;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > max)
      throw new ApiError('E_VALIDATION', `expiresIn must be an integer from 1 to ${max} seconds`);
    const expiresAt = Math.floor(Date.now() / 1000) + expiresIn;
    const publicUrl = this.storage.getPublicUrl(key);
    let url: string;
    if (this.storage.capabilities.signedUrls && this.storage.getSignedUrl) {
      // The bucket checks the signature: the CDN path carries the presigned query unchanged.
      const presigned = new URL(await this.storage.getSignedUrl(key, { expiresIn }));
      const cdn = new URL(publicUrl);
      cdn.search = presigned.search;
      url = cdn.href;
    } else {
      url = signCdnUrl(publicUrl, this.config.CDN_SIGNING_KEYS[0]!, expiresAt);
    }
    return { url, expiresAt: new Date(expiresAt * 1000).toISOString() };
  }
}
