import { describe, expect, it } from 'vitest';
import { timeOrderedId } from './time-ordered-id.js';

describe('time-ordered ids', () => {
  it('are version 7 UUIDs with the RFC variant, carrying the time in their first 48 bits', () => {
    const at = Date.UTC(2026, 10, 29, 5, 40);
    const id = timeOrderedId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sort by time, and differ within one millisecond', () => {
    const ids = [1_000, 2_000, 65_536_000, 1_800_000_000_000].map((at) => timeOrderedId(at));
    expect([...ids].sort()).toEqual(ids);
    expect(timeOrderedId(2_000)).not.toBe(timeOrderedId(2_000));
  });
});
