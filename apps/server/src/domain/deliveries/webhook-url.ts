import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { Config } from '../../config/config.js';
import { AppError } from '../errors.js';

/**
 * Addresses a webhook must not reach unless the installation allows it (WEBHOOK_PRIVATE_ADDRESSES):
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

/** Whether `address` (an IPv4 or IPv6 literal) is one a webhook must not reach. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return PRIVATE.check(mapped[1], 'ipv4');
  return PRIVATE.check(address, 'ipv6');
}

/** The address a host name resolves to is checked when a call connects too (webhookLookup): DNS may change. */
export type ResolveHost = (host: string) => Promise<readonly string[]>;

const resolveAll: ResolveHost = async (host) => (await lookup(host, { all: true })).map((entry) => entry.address);

/**
 * Checks a webhook URL as given: http or https, no user or password in it, at most 2,000 characters,
 * and, unless the installation allows private addresses, a host that is no private, loopback or
 * link-local address nor resolves to one (SSRF). Answers the URL as parsed; `url_not_allowed` or
 * `validation_failed` otherwise.
 */
export async function checkWebhookUrl(
  config: Pick<Config, 'webhookPrivateAddresses'>,
  raw: string,
  resolve: ResolveHost = resolveAll,
): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('validation_failed', `The webhook URL ${JSON.stringify(raw.slice(0, 100))} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('url_not_allowed', `A webhook URL is http:// or https://, not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new AppError(
      'url_not_allowed',
      'A webhook URL carries no user or password: the Plauder-Signature header proves who sends',
    );
  }
  if (config.webhookPrivateAddresses === 'allow') return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: readonly string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new AppError('url_not_allowed', `The webhook host ${host} does not resolve to an address`);
    }
  }
  const refused = addresses.find(isPrivateAddress);
  if (refused !== undefined) {
    throw new AppError(
      'url_not_allowed',
      `The webhook host ${host} is at ${refused}, a private, loopback or link-local address: webhooks go to public addresses only`,
    );
  }
  return url;
}
