/** A piece of a message's text: plain text, or a web address to link. */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** Web addresses in running text; stops at spaces, quotes and angle brackets. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the address. */
const TRAILING = /[.,;:!?)\]}]+$/;

/**
 * Splits a message into text and http(s) links. Nothing else becomes a link: no `javascript:`, no
 * `data:`, no markup. The parts are rendered as text nodes and anchors, never as HTML.
 */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let from = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index;
    const raw = match[0];
    const address = raw.replace(TRAILING, '');
    const href = safeHref(address);
    if (!href) continue;
    if (start > from) parts.push({ kind: 'text', text: text.slice(from, start) });
    parts.push({ kind: 'link', text: address, href });
    from = start + address.length;
  }
  if (from < text.length) parts.push({ kind: 'text', text: text.slice(from) });
  return parts;
}

/** The address, normalized by the URL parser, when it is http or https; undefined otherwise. */
function safeHref(address: string): string | undefined {
  try {
    const url = new URL(address);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
