import net from 'node:net';
import { isPublicAddress } from './address-policy.js';
import { ImageProcessingError } from './image-processing-error.js';
import type { SourcePolicy } from './source-policy.js';

/** An `E_FORBIDDEN_SOURCE` failure. */
export const forbidden = (message: string) =>
  new ImageProcessingError('E_FORBIDDEN_SOURCE', message);
const DEFAULT_PORTS: readonly number[] = [80, 443];

function listedHost(host: string, policy: Pick<SourcePolicy, 'allowedHosts'>): boolean {
  return policy.allowedHosts.some((h) => h.toLowerCase() === host.toLowerCase());
}

/** True when `host` may resolve to any address: private networks allowed, or the host is listed. */
export function hostAllowed(
  host: string,
  policy: Pick<SourcePolicy, 'allowPrivateNetworks' | 'allowedHosts'>,
): boolean {
  return policy.allowPrivateNetworks || listedHost(host, policy);
}

/**
 * Checks a source URL without connecting: scheme, credentials, and — for IP
 * literals — the address. Names are checked again when they resolve.
 *
 * @throws {ImageProcessingError} `E_FORBIDDEN_SOURCE`.
 */
export function checkSourceUrl(
  raw: string,
  policy: Pick<SourcePolicy, 'allowPrivateNetworks' | 'allowedHosts' | 'allowedPorts'>,
): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw forbidden('Source URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw forbidden(`Source URL scheme ${url.protocol} is not allowed`);
  if (url.username || url.password) throw forbidden('Source URL must not carry credentials');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (!listedHost(url.hostname, policy) && !(policy.allowedPorts ?? DEFAULT_PORTS).includes(port))
    throw forbidden(`Source port ${port} is not allowed`);
  // WHATWG URL parsing already normalises 0x7f.1, 2130706433 and friends to dotted IPv4.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !hostAllowed(url.hostname, policy) && !isPublicAddress(host)) {
    throw forbidden(`Source address ${host} is not public`);
  }
  return url;
}
