import { describe, expect, it } from 'vitest';
import { eventsText, WEBHOOK_EVENTS } from './webhooks.js';

describe("a webhook endpoint's events as the console tells of them", () => {
  it('says "All events" when it takes every one, else names them in the form\'s order', () => {
    expect(eventsText(WEBHOOK_EVENTS.map((e) => e.event))).toBe('All events');
    expect(eventsText(['conversation.closed', 'conversation.started'])).toBe(
      'conversation.started, conversation.closed',
    );
  });
});
