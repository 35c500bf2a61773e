import mime from 'mime-types';

/** Fallback MIME type for unknown extensions. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** MIME type implied by a key's file extension, or {@link DEFAULT_CONTENT_TYPE}. */
export function contentTypeFromKey(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return (name.includes('.') && mime.lookup(name)) || DEFAULT_CONTENT_TYPE;
}
