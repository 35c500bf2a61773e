import { format, parse } from 'content-type';

/**
 * A media type in one canonical spelling (`Image/PNG; Charset=X` → `image/png; charset=X`): types and parameter
 * names are case-insensitive, so every check compares this form. Undefined when it is not a media type.
 */
export function normalizeMediaType(value: string | undefined): string | undefined {
  if (!value || value.length > 255) return undefined;
  try {
    return format(parse(value));
  } catch {
    return undefined;
  }
}

/** The `type/subtype` of a normalised media type. */
export function mediaEssence(type: string): string {
  return type.split(';')[0]!.trim();
}
