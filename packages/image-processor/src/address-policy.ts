import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * True when `address` is an ordinary public unicast address. Everything else
 * is refused: loopback, private, link-local (cloud metadata), CGNAT,
 * multicast, unspecified, reserved, and IPv6 forms that embed IPv4
 * (mapped, NAT64, 6to4, Teredo), which are judged by the IPv4 inside.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!net.isIP(bare)) return false;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'unicast';
}
