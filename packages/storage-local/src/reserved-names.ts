import { createHash, randomBytes } from 'node:crypto';

// Every reserved name starts with "." (web servers refuse dotfiles) and holds a
// backslash, which no valid key segment may contain: it can never shadow an object.
const TEMP_PREFIX = '.~tmp\\';
const SIDECAR_PREFIX = '.~meta\\';

export function tempName(): string {
  return TEMP_PREFIX + randomBytes(12).toString('hex');
}

export function sidecarName(name: string): string {
  return SIDECAR_PREFIX + createHash('sha256').update(name).digest('hex').slice(0, 40);
}

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

export function isReservedName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) || name.startsWith(SIDECAR_PREFIX);
}
