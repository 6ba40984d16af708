import { isIP } from 'node:net';
import type { VisitorContext } from '@plauder/protocol';

/** A BCP 47 language tag as browsers report them (`de`, `en-GB`, `zh-Hant-TW`). */
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;
/** An IANA time zone name (`UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`). */
const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/**
 * What is kept of the context a chat window reports at the start: the page as origin and path only —
 * its query and fragment (which may carry tokens, search terms or emails) and any user info are cut
 * off, and a page that is not http(s) is dropped; so is a language that is no language tag and a time
 * zone that is no zone name (the visitor's browser may send anything). `undefined` when nothing is
 * left to keep.
 */
export function visitorContextToKeep(context: VisitorContext | undefined): VisitorContext | undefined {
  if (!context) return undefined;
  const pageUrl = pageUrlToKeep(context.pageUrl);
  const { language, timeZone } = context;
  const kept: VisitorContext = {
    ...(pageUrl ? { pageUrl } : {}),
    ...(language && LANGUAGE_TAG.test(language) ? { language } : {}),
    ...(timeZone && TIME_ZONE.test(timeZone) ? { timeZone } : {}),
  };
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function pageUrlToKeep(pageUrl: string | undefined): string | undefined {
  if (!pageUrl) return undefined;
  let url: URL;
  try {
    url = new URL(pageUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return `${url.origin}${url.pathname}`;
}

/**
 * A client address as shown to operators: an IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`, how a
 * dual-stack socket reports one) as plain IPv4. `undefined` for anything that is not an IP address.
 */
export function visitorIpToKeep(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  return isIP(ip) === 0 ? undefined : ip;
}
