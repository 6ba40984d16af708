import { describe, expect, it } from 'vitest';
import { ShownVersions } from './shown-versions.js';

describe('ShownVersions', () => {
  it('admits the states of a conversation in version order, the same version again, and drops older ones', () => {
    const shown = new ShownVersions();
    expect(shown.admit('a', 2)).toBe(true);
    expect(shown.admit('a', 1)).toBe(false);
    expect(shown.admit('a', 2)).toBe(true);
    expect(shown.admit('a', 4)).toBe(true);
    expect(shown.admit('a', 3)).toBe(false);
    expect(shown.admit('b', 1)).toBe(true);
  });

  it('forgets the least recently shown conversation beyond its capacity, and only that one', () => {
    const shown = new ShownVersions(2);
    shown.admit('a', 5);
    shown.admit('b', 5);
    shown.admit('a', 6); // a is now the most recently shown
    shown.admit('c', 5); // b goes
    expect(shown.admit('a', 1)).toBe(false);
    expect(shown.admit('c', 1)).toBe(false);
    expect(shown.admit('b', 1)).toBe(true);
  });
});
