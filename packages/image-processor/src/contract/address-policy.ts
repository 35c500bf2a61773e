import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * True when `address` is an ordinary public unicast address. Everything else
 * is refused: loopback, private, link-local (cloud metadata), CGNAT,
 * multicast, unspecified, reserved, IPv4-compatible IPv6 (`::/96`), and IPv6
 * forms that embed IPv4 (mapped, NAT64, 6to4, Teredo), which are judged by the IPv4 inside.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!net.isIP(bare)) return false;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    // IPv4-compatible addresses (::/96, deprecated; e.g. ::127.0.0.1) reach the IPv4 inside on some stacks.
    if (v6.parts.slice(0, 6).every((part) => part === 0)) return false;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  return parsed.range() === 'unicast';
}
