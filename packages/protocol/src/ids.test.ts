import { describe, expect, it } from 'vitest';
import { ClientMessageId } from './frames-common.js';
import { newClientMessageId, timeOrderedUuid } from './ids.js';

const version7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('time-ordered UUIDs', () => {
  it('are version 7 UUIDs with the RFC variant, carrying the time in their first 48 bits', () => {
    const at = Date.UTC(2026, 10, 29, 5, 40);
    const id = timeOrderedUuid(at);
    expect(id).toMatch(version7);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sort by time, and differ within one millisecond', () => {
    const ids = [1_000, 2_000, 65_536_000, 1_800_000_000_000].map((at) => timeOrderedUuid(at));
    expect([...ids].sort()).toEqual(ids);
    expect(timeOrderedUuid(2_000)).not.toBe(timeOrderedUuid(2_000));
  });

  it('come out alike where the platform has no randomUUID (a browser on a plain HTTP page)', () => {
    // randomUUID is a method of Crypto's prototype: an own property hides it until deleted.
    Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined, configurable: true });
    try {
      const ids = Array.from({ length: 100 }, () => timeOrderedUuid(5_000));
      for (const id of ids) expect(id).toMatch(version7);
      expect(new Set(ids).size).toBe(100);
    } finally {
      delete (globalThis.crypto as { randomUUID?: unknown }).randomUUID;
    }
    expect(typeof globalThis.crypto.randomUUID).toBe('function');
  });

  it('make client message ids the frames accept, in the order they were made', async () => {
    const first = newClientMessageId();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = newClientMessageId();
    expect(ClientMessageId.safeParse(first).success).toBe(true);
    expect(first < second).toBe(true);
  });
});
