/** Shorter words are not indexed: a single letter or digit would match nearly every message. */
export const MIN_TOKEN_CHARS = 2;
/** Longer words are cut to this many characters (code points), in messages and queries alike. */
export const MAX_TOKEN_CHARS = 64;
/** The most distinct words a message is indexed under; words past them are not searchable. */
export const MAX_TOKENS_PER_MESSAGE = 500;

const COMBINING_MARKS = /\p{M}+/gu;
const WORDS = /[\p{L}\p{N}]+/gu;
// ß folds to "ss" (so "Straße" finds "strasse" and "STRASSE"), final sigma to sigma.
const SPECIAL_FOLDS = /[ßς]/g;
const foldSpecial = (char: string) => (char === 'ß' ? 'ss' : 'σ');

/**
 * The words of a text as the search index keeps them, unique, in the order they first appear:
 * Unicode NFKC, lower case, diacritics folded (NFKD, then every combining mark dropped, so "Müller"
 * is "muller" and "café" "cafe"; ß becomes "ss"), split on everything that is not a letter or digit,
 * words under 2 characters dropped, each cut to 64 characters, at most `maxTokens` (500) of them.
 * The same function reads a query, so a query word matches exactly the message words that normalize
 * to it. Scripts written without spaces (Chinese, Japanese, Thai) come out as whole runs of text.
 */
export function searchTokens(text: string, maxTokens = MAX_TOKENS_PER_MESSAGE): string[] {
  const folded = text
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .replace(SPECIAL_FOLDS, foldSpecial)
    // Recomposes what the marks do not take with them (Hangul syllables, for one): shorter tokens.
    .normalize('NFC');
  const tokens = new Set<string>();
  for (const [word] of folded.matchAll(WORDS)) {
    const token = cut(word);
    if (token === undefined || tokens.has(token)) continue;
    tokens.add(token);
    if (tokens.size >= maxTokens) break;
  }
  return [...tokens];
}

/** The word cut to MAX_TOKEN_CHARS code points; `undefined` when it has fewer than MIN_TOKEN_CHARS. */
function cut(word: string): string | undefined {
  // A word has at least as many UTF-16 units as code points: most need no count at all.
  if (word.length >= MIN_TOKEN_CHARS * 2 && word.length <= MAX_TOKEN_CHARS) return word;
  const chars = Array.from(word);
  if (chars.length < MIN_TOKEN_CHARS) return undefined;
  return chars.length > MAX_TOKEN_CHARS ? chars.slice(0, MAX_TOKEN_CHARS).join('') : word;
}
