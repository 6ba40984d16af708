/** The longest file name kept, in characters (Unicode code points); most file systems allow 255. */
export const MAX_FILE_NAME_CHARS = 255;

/** What takes the place of a name that has nothing left once cleaned. */
export const FALLBACK_FILE_NAME = 'file';

// Control characters, and the bidirectional overrides that make "gpj.exe" display as "exe.jpg".
const INVISIBLE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * The name a file is shown and downloaded under: the last segment of a path (clients may send a whole
 * one), without control characters, trimmed, at most `maxChars` characters, and "file" when nothing
 * is left. The name is only ever shown: it never names anything in the file store.
 */
export function cleanFileName(raw: string, options: { maxChars?: number } = {}): string {
  const maxChars = Math.min(options.maxChars ?? MAX_FILE_NAME_CHARS, MAX_FILE_NAME_CHARS);
  const base = (raw.split(/[/\\]/).pop() ?? '')
    .replace(INVISIBLE, '')
    // A lone surrogate is no character; it would also break the download header's encoding.
    .replace(/\p{Cs}/gu, '\ufffd')
    .trim();
  // Cut by code points, so a character outside the BMP is never split in half.
  const cut = [...base].slice(0, maxChars).join('').trim();
  return cut === '' || cut === '.' || cut === '..' ? FALLBACK_FILE_NAME : cut;
}
