import type { CannedResponseDto } from '@plauder/protocol';
import { describe, expect, it } from 'vitest';
import { cannedMatches } from './composer.js';

const canned = (shortcut: string, title: string): CannedResponseDto => ({
  id: shortcut,
  shortcut,
  title,
  body: `${title}!`,
  createdBy: null,
  createdAt: 0,
  updatedAt: 0,
});

describe('the canned response picker', () => {
  const all = [canned('hello', 'Greeting'), canned('hours', 'Opening hours'), canned('bye', 'Goodbye')];
  it('offers responses by shortcut or title after a slash', () => {
    expect(cannedMatches(all, '/h').map((c) => c.shortcut)).toEqual(['hello', 'hours']);
    expect(cannedMatches(all, '/good').map((c) => c.shortcut)).toEqual(['bye']);
    expect(cannedMatches(all, '/').length).toBe(3);
  });
  it('offers nothing without the slash or once the text goes on', () => {
    expect(cannedMatches(all, 'h')).toEqual([]);
    expect(cannedMatches(all, '/hello there')).toEqual([]);
  });
});
