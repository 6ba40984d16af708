import { describe, expect, it } from 'vitest';
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

  it('lets go of old bodies as new ones come, so it holds no more than two seconds of them', () => {
    at.now = 0;
    const sent = bodies();
    sent.remember({ conversationId: 'c', messageId: 'old' }, 'old text');
    at.now = 1500;
    sent.remember({ conversationId: 'c', messageId: 'newer' }, 'newer text');
    at.now = 2500;
    sent.remember({ conversationId: 'c', messageId: 'newest' }, 'newest text');
    // The first is gone, not only hidden: two are kept.
    expect(sent.size).toBe(2);
    expect(sent.get({ conversationId: 'c', messageId: 'newer' })).toBe('newer text');
  });
});
