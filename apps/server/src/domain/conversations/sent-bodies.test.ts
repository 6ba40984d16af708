import { describe, expect, it, vi } from 'vitest';
import { SentBodies } from './sent-bodies.js';

describe('SentBodies', () => {
  const at = { now: 0 };
  const bodies = () => new SentBodies(() => at.now, 2000);

  it('answers a body by conversation and message together, for two seconds', () => {
    at.now = 0;
    const sent = bodies();
    sent.remember({ conversationId: 'c1', messageId: 'm1' }, 'hello');
    expect(sent.get({ conversationId: 'c1', messageId: 'm1' })).toBe('hello');
    // Another conversation's event naming the same message id finds nothing.
    expect(sent.get({ conversationId: 'c2', messageId: 'm1' })).toBeUndefined();
    at.now = 2000;
    expect(sent.get({ conversationId: 'c1', messageId: 'm1' })).toBe('hello');
    at.now = 2001;
    expect(sent.get({ conversationId: 'c1', messageId: 'm1' })).toBeUndefined();
  });

  it('lets go of old bodies as new ones come, so it holds no more than two generations of them', () => {
    at.now = 0;
    const sent = bodies();
    sent.remember({ conversationId: 'c', messageId: 'old' }, 'old text');
    at.now = 1500;
    sent.remember({ conversationId: 'c', messageId: 'newer' }, 'newer text');
    at.now = 2500;
    // A new generation: the first one's bodies stay until the next.
    sent.remember({ conversationId: 'c', messageId: 'newest' }, 'newest text');
    expect(sent.size).toBe(3);
    expect(sent.get({ conversationId: 'c', messageId: 'old' })).toBeUndefined();
    expect(sent.get({ conversationId: 'c', messageId: 'newer' })).toBe('newer text');
    at.now = 3000;
    sent.remember({ conversationId: 'c', messageId: 'also' }, 'also text');
    at.now = 4600;
    sent.remember({ conversationId: 'c', messageId: 'latest' }, 'latest text');
    // The first generation is gone, not only hidden.
    expect(sent.size).toBe(3);
    expect(sent.get({ conversationId: 'c', messageId: 'newest' })).toBeUndefined();
    expect(sent.get({ conversationId: 'c', messageId: 'also' })).toBe('also text');
  });

  it('drops a generation whose newest body expired whole', () => {
    at.now = 0;
    const sent = bodies();
    sent.remember({ conversationId: 'c', messageId: 'm1' }, 'text');
    at.now = 5000;
    sent.remember({ conversationId: 'c', messageId: 'm2' }, 'text');
    expect(sent.size).toBe(1);
  });

  it('lets go of the last bodies on a quiet server, without a message to trigger it', async () => {
    vi.useFakeTimers();
    try {
      const sent = new SentBodies(() => Date.now(), 2000);
      sent.remember({ conversationId: 'c', messageId: 'm' }, 'text');
      await vi.advanceTimersByTimeAsync(2000);
      expect(sent.get({ conversationId: 'c', messageId: 'm' })).toBe('text');
      await vi.advanceTimersByTimeAsync(4001);
      expect(sent.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
