import { describe, expect, it } from 'vitest';
import { messageText } from './message-text.js';

describe('the text of a new message', () => {
  it('is trimmed, and refused when nothing is left', () => {
    expect(messageText('  hello \n', 10)).toBe('hello');
    expect(() => messageText(' \n\t ', 10)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('counts characters as people do: an emoji made of a surrogate pair is one', () => {
    expect(messageText('😀'.repeat(5), 5)).toBe('😀'.repeat(5));
    expect(() => messageText('😀'.repeat(6), 5)).toThrow(expect.objectContaining({ code: 'message_too_long' }));
    expect(messageText('abcde', 5)).toBe('abcde');
    expect(() => messageText('abcdef', 5)).toThrow(expect.objectContaining({ code: 'message_too_long' }));
  });

  it('counts a lone surrogate as one character, as the spread of a string does', () => {
    const text = `a\ud800b\udc00c`;
    expect([...text]).toHaveLength(5);
    expect(messageText(text, 5)).toBe(text);
    expect(() => messageText(text, 4)).toThrow(expect.objectContaining({ code: 'message_too_long' }));
  });
});
