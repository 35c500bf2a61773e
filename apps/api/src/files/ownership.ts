/** A stored file name from a client-supplied one: no path, no leading dots, letters/digits/`._- ` only, ≤ 150 chars. */
export function sanitizeFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = Array.from(
    base
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
      .replace(/\s+/g, ' ')
      .replace(/^[\s.]+/, '')
      .trim(),
  )
    .slice(0, 150)
    .join('')
    .trim();
  return cleaned || 'file';
}
