import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook call must not reach unless the installation allows it
 * (WEBHOOK_PRIVATE_ADDRESSES), checked when its URL is given and again as it connects (egress.ts):
 * loopback, private networks, link-local (cloud metadata services live there), carrier-grade NAT,
 * "this network", multicast and the reserved ranges, in IPv4 and IPv6, and IPv4 mapped into IPv6.
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  // Unspecified, loopback and IPv4-compatible (::a.b.c.d), then IPv4-translated (::ffff:0:a.b.c.d).
  ['::', 96],
  ['::ffff:0:0:0', 96],
  // Discard-only, 6to4 (which carries an IPv4 address), documentation, site-local and unique local.
  ['100::', 64],
  ['2002::', 16],
  ['2001:db8::', 32],
  ['fec0::', 10],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** Whether `address` (an IPv4 or IPv6 literal) is one a call must not reach. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return PRIVATE.check(mapped[1], 'ipv4');
  return PRIVATE.check(address, 'ipv6');
}

/** A URL's host as an address would be written: an IPv6 literal without its brackets. */
export function hostAddress(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}
