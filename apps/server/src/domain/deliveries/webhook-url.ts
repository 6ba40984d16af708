import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Config } from '../../config/config.js';
import { AppError } from '../errors.js';
import { hostAddress, isPrivateAddress } from '../functions/private-addresses.js';

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
  const host = hostAddress(url);
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
