import { describe, expect, it } from 'vitest';
import { parseSavedConversation, parseToLoader, parseToWindow } from './messages.js';

const saved = { token: 'vt_x', expiresAt: Date.now() + 60_000, conversationId: 'c1', consent: { version: 'en-1' } };

describe('the bridge messages', () => {
  it('takes the messages of the union and nothing else', () => {
    expect(parseToWindow({ plauder: 1, type: 'opened', focus: true })).toEqual({
      plauder: 1,
      type: 'opened',
      focus: true,
    });
    expect(parseToWindow({ plauder: 1, type: 'opened', focus: 'yes' })).toEqual({
      plauder: 1,
      type: 'opened',
      focus: false,
    });
    expect(parseToWindow({ plauder: 1, type: 'identify', identity: { name: 'Ada' } })).toEqual({
      plauder: 1,
      type: 'identify',
      identity: { name: 'Ada', email: undefined },
    });
    expect(parseToLoader({ plauder: 1, type: 'unread', count: 2.7 })).toEqual({ plauder: 1, type: 'unread', count: 2 });
    expect(parseToLoader({ plauder: 1, type: 'event', name: 'message', detail: { authorKind: 'operator' } })).toEqual({
      plauder: 1,
      type: 'event',
      name: 'message',
      detail: { authorKind: 'operator' },
    });
    for (const junk of [
      null,
      'opened',
      { type: 'opened' },
      { plauder: 2, type: 'opened' },
      { plauder: 1, type: 'eval' },
    ]) {
      expect(parseToWindow(junk)).toBeUndefined();
      expect(parseToLoader(junk)).toBeUndefined();
    }
    expect(parseToLoader({ plauder: 1, type: 'event', name: 'anything' })).toBeUndefined();
    expect(parseToLoader({ plauder: 1, type: 'unread', count: -1 })).toBeUndefined();
    expect(parseToWindow({ plauder: 1, type: 'identify', identity: { name: 'x'.repeat(321) } })).toBeUndefined();
  });

  it('keeps a saved conversation only while its token lasts, and only its known fields', () => {
    expect(parseSavedConversation({ ...saved, extra: '<script>' })).toEqual(saved);
    expect(parseToLoader({ plauder: 1, type: 'persist', saved })).toEqual({ plauder: 1, type: 'persist', saved });
    expect(parseToLoader({ plauder: 1, type: 'persist', saved: null })).toEqual({
      plauder: 1,
      type: 'persist',
      saved: null,
    });
    expect(parseSavedConversation({ ...saved, expiresAt: Date.now() - 1 })).toBeUndefined();
    expect(parseSavedConversation({ ...saved, token: 42 })).toBeUndefined();
    expect(parseToLoader({ plauder: 1, type: 'persist', saved: { token: 'x' } })).toBeUndefined();
    expect(parseToWindow({ plauder: 1, type: 'init', saved: 'garbage' })).toEqual({
      plauder: 1,
      type: 'init',
      saved: null,
    });
  });

  it('takes the page of an init only as an http(s) address without query or fragment', () => {
    expect(parseToWindow({ plauder: 1, type: 'init', saved: null, pageUrl: 'https://shop.test/cart/' })).toEqual({
      plauder: 1,
      type: 'init',
      saved: null,
      pageUrl: 'https://shop.test/cart/',
    });
    for (const pageUrl of [
      'https://shop.test/cart?coupon=x',
      'https://shop.test/cart#pay',
      'javascript:alert(1)',
      'null/index.html',
      'https://shop.test/a b',
      `https://shop.test/${'a'.repeat(2048)}`,
      42,
      { href: 'https://shop.test/' },
    ]) {
      expect(parseToWindow({ plauder: 1, type: 'init', saved: null, pageUrl }), JSON.stringify(pageUrl)).toEqual({
        plauder: 1,
        type: 'init',
        saved: null,
      });
    }
  });
});
