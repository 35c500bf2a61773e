/** Where a user's uploads live. */
export function uploadRoot(userId: string): string {
  return `uploads/${userId}/`;
}

/**
 * True when `key` belongs to `userId`: their uploads (`uploads/<user>/…`) or
 * outputs of their jobs (`processed|generated/<tool>/<user>/…`).
 */
export function ownsKey(userId: string, key: string): boolean {
  if (key.startsWith(uploadRoot(userId))) return true;
  const [root, tool, owner] = key.split('/', 3);
  return (root === 'processed' || root === 'generated') && Boolean(tool) && owner === userId;
}

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
