import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo's root directory (this file lives in tooling/stack/{src,dist}/). */
export function repoRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}
