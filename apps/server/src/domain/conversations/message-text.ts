import { AppError } from '../errors.js';

/**
 * The text of a new message, trimmed; throws validation_failed when nothing is left and
 * message_too_long past `maxChars` characters (code points, as people count them, not UTF-16 units).
 */
export function messageText(text: string, maxChars: number): string {
  const body = text.trim();
  if (!body) throw new AppError('validation_failed', 'A message needs some text');
  if (exceeds(body, maxChars))
    throw new AppError('message_too_long', `A message may have ${maxChars} characters at most`);
  return body;
}

function exceeds(text: string, maxChars: number): boolean {
  // A text has at least as many UTF-16 units as characters: most need no count at all.
  if (text.length <= maxChars) return false;
  let chars = 0;
  for (let i = 0; i < text.length; i++) {
    // A surrogate pair is one character.
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) i++;
    if (++chars > maxChars) return true;
  }
  return false;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
