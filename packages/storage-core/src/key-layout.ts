/**
 * The platform's key layout, in one place: who owns a key, where uploads and job outputs go, and which
 * folders the CDN serves to anyone.
 *
 * ```
 * uploads/<user>/<uuid>/<name>                      a user's uploads (private: served signed)
 * processed/<tool>/<user>/<job>/<variant>-<stamp>.<ext>   job outputs (public, immutable)
 * generated/<tool>/<user>/<job>/original.<ext>      a fetched job source, kept (public)
 * derived/<hash>.<ext>                              on-request renders (the imaging service's shared cache:
 *                                                   private, no owner, bounded and trimmed by the janitor)
 * ```
 */
export const KEY_LAYOUT = Object.freeze({
  /** The top-level folders (the volumes of the compose deployment). */
  folders: Object.freeze(['uploads', 'generated', 'processed', 'derived'] as const),
  /** Prefixes whose objects are public unless made private (job outputs and kept sources); see {@link defaultVisibility}. */
  publicPrefixes: Object.freeze(['processed/', 'generated/'] as const),
  /** Where every user's uploads live (`uploads/<user>/…`). */
  uploadsRoot: 'uploads/',
  /** Prefixes whose objects are private unless made public. */
  privatePrefixes: Object.freeze(['uploads/'] as const),
  /**
   * Renders made on request (`derived/<hash>.<ext>`): a cache shared by every team, owned by nobody (so counted in
   * no team's usage), private (served only through the imaging service, which checks each URL's signer), bounded
   * by the janitor.
   */
  derivedRoot: 'derived/',
});

/** A top-level folder of the layout. */
export type LayoutFolder = (typeof KEY_LAYOUT.folders)[number];

/** Where a user's uploads live: `uploads/<user>/`. */
export function uploadPrefix(userId: string): string {
  return `${KEY_LAYOUT.uploadsRoot}${userId}/`;
}

/** Where one job's outputs live: `processed/<tool>/<user>/<job>/`. */
export function jobOutputPrefix(tool: string, userId: string, jobId: string): string {
  return `processed/${tool}/${userId}/${jobId}/`;
}

/** Where a job keeps the source it fetched: `generated/<tool>/<user>/<job>/original.<ext>`. */
export function jobOriginalKey(tool: string, userId: string, jobId: string, ext: string): string {
  return `generated/${tool}/${userId}/${jobId}/original.${ext}`;
}

/**
 * The user a key belongs to: the `<user>` of `uploads/<user>/…`, `processed/<tool>/<user>/…` or
 * `generated/<tool>/<user>/…`; `undefined` for any other key.
 */
export function keyOwner(key: string): string | undefined {
  const [root, first, second] = key.split('/', 3);
  if (root === 'uploads' && first && second !== undefined) return first;
  if ((root === 'processed' || root === 'generated') && first && second) return second;
  return undefined;
}

/** Where a render made on request is cached: `derived/<hash>.<ext>` (`hash`: lower-case hex). */
export function derivedKey(hash: string, ext: string): string {
  return `${KEY_LAYOUT.derivedRoot}${hash}.${ext}`;
}

/** True when `key` belongs to `userId` (see {@link keyOwner}). */
export function ownsKey(userId: string, key: string): boolean {
  return keyOwner(key) === userId;
}

/** True when `key` lies under a public prefix, so it is public unless made private. */
export function isPublicKey(key: string): boolean {
  return KEY_LAYOUT.publicPrefixes.some((prefix) => key.startsWith(prefix));
}

/**
 * The tool a job output or kept source belongs to (`processed/<tool>/…`, `generated/<tool>/…`), for
 * per-tool reports; `undefined` elsewhere.
 */
export function keyTool(key: string): string | undefined {
  const [root, tool, rest] = key.split('/', 3);
  return (root === 'processed' || root === 'generated') && tool && rest !== undefined
    ? tool
    : undefined;
}

/**
 * The visibility an object has unless set otherwise: `public` under the layout's public prefixes (job outputs,
 * kept sources), `private` everywhere else (uploads, and keys outside the layout).
 */
export function defaultVisibility(key: string): 'public' | 'private' {
  return isPublicKey(key) ? 'public' : 'private';
}
