import { createHash, randomBytes } from 'node:crypto';

// Every reserved name starts with "." (web servers refuse dotfiles) and holds a
// backslash, which no valid key segment may contain: it can never shadow an object.
const TEMP_PREFIX = '.~tmp\\';
const SIDECAR_PREFIX = '.~meta\\';
const VISIBILITY_PREFIX = '.~vis\\';
const MULTIPART_PREFIX = '.~mp\\';

/**
 * Directories of visibility markers beside the objects they mark: an empty file `<dir>/.~vis\private/<name>`
 * makes `<dir>/<name>` private where the layout says public, `.~vis\public/<name>` the other way round. The
 * marker keeps the object's own name, so a web server can test for it (nginx: `if (-f …)`).
 */
export const VISIBILITY_DIRS = {
  private: `${VISIBILITY_PREFIX}private`,
  public: `${VISIBILITY_PREFIX}public`,
} as const;

/** True for a directory of visibility markers. */
export function isVisibilityDir(name: string): boolean {
  return name.startsWith(VISIBILITY_PREFIX);
}

/** The directory beside a key's file where the parts of multipart upload `uploadId` to that key wait. */
export function multipartDirName(uploadId: string): string {
  return MULTIPART_PREFIX + uploadId;
}

/** True for the directory of an unfinished multipart upload. */
export function isMultipartDir(name: string): boolean {
  return name.startsWith(MULTIPART_PREFIX);
}

/** Random per process, so processes sharing a root never pick the same temporary name; a counter within one. */
const PROCESS_TOKEN = randomBytes(8).toString('hex');
let tempCount = 0;

/** A fresh temporary file name: hidden from listings, swept when stale, never a valid key. */
export function tempName(): string {
  return `${TEMP_PREFIX}${PROCESS_TOKEN}${(tempCount++).toString(36)}`;
}

export function sidecarName(name: string): string {
  return SIDECAR_PREFIX + createHash('sha256').update(name).digest('hex').slice(0, 40);
}

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

export function isReservedName(name: string): boolean {
  return (
    name.startsWith(TEMP_PREFIX) ||
    name.startsWith(SIDECAR_PREFIX) ||
    name.startsWith(VISIBILITY_PREFIX) ||
    name.startsWith(MULTIPART_PREFIX)
  );
}
