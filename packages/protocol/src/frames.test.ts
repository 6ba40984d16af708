import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OperatorClientFrame, OperatorServerFrame } from './operator-frames.js';
import { VisitorClientFrame, VisitorServerFrame } from './visitor-frames.js';

const conversationId = randomUUID();
const clientMessageId = randomUUID();

describe('the visitor socket frames', () => {
  it('accept every frame type the chat window sends', () => {
    const frames: unknown[] = [
      { type: 'conversation.start', ref: 'r1', clientMessageId, body: 'Hello' },
      { type: 'conversation.start', ref: 'r2' },
      { type: 'message.send', conversationId, clientMessageId, body: 'Hi' },
      { type: 'typing', conversationId, isTyping: true },
      { type: 'read', conversationId, seq: 3 },
      { type: 'resume', conversationId, sinceSeq: 0 },
      { type: 'conversation.end', conversationId },
      { type: 'conversation.rate', conversationId, rating: 5, comment: 'Great' },
      { type: 'offline-message.send', clientMessageId, body: 'Call me', email: 'v@example.com' },
      { type: 'conversation.start', ref: 'r3', consent: { version: 'en-1' } },
      { type: 'offline-message.send', clientMessageId, body: 'Call me', consent: { version: 'de-2' } },
      { type: 'contact.identify', conversationId, name: 'Ada' },
      { type: 'contact.identify', conversationId, email: 'ada@example.com' },
      { type: 'conversation.delete', conversationId },
      { type: 'ping' },
    ];
    for (const frame of frames) expect(VisitorClientFrame.safeParse(frame).success, JSON.stringify(frame)).toBe(true);
  });

  it('refuse unknown types, wrong field types, bad ids and out-of-range ratings', () => {
    const frames: unknown[] = [
      { type: 'message.delete', conversationId },
      { type: 'message.send', conversationId, clientMessageId: 'not-a-uuid', body: 'Hi' },
      { type: 'message.send', conversationId, clientMessageId, body: '' },
      { type: 'message.send', conversationId, clientMessageId, body: 42 },
      { type: 'typing', conversationId, isTyping: 'yes' },
      { type: 'conversation.rate', conversationId, rating: 6 },
      { type: 'offline-message.send', clientMessageId, body: 'x', email: 'not an email' },
      { type: 'conversation.start', ref: 'r1', consent: { version: '' } },
      { type: 'conversation.start', ref: 'r1', consent: 'yes' },
      { type: 'contact.identify', conversationId },
      { type: 'contact.identify', conversationId, name: '  ' },
      { type: 'conversation.delete' },
      { conversationId },
      'ping',
      null,
    ];
    for (const frame of frames) expect(VisitorClientFrame.safeParse(frame).success, JSON.stringify(frame)).toBe(false);
  });

  it('describe what the server sends, internal notes included only as a kind', () => {
    const message = {
      id: 'm1',
      conversationId,
      seq: 1,
      authorKind: 'operator',
      kind: 'text',
      body: 'Hi',
      createdAt: 1,
      operatorName: 'Ada',
    };
    expect(VisitorServerFrame.safeParse({ type: 'message.created', message }).success).toBe(true);
    expect(VisitorServerFrame.safeParse({ type: 'error', code: 'rate_limited', message: 'Slow down' }).success).toBe(
      true,
    );
    expect(VisitorServerFrame.safeParse({ type: 'error', code: 'no_such_code', message: 'x' }).success).toBe(false);
  });
});

describe('the operator socket frames', () => {
  it('default a message to text and accept internal notes', () => {
    const text = OperatorClientFrame.parse({ type: 'message.send', conversationId, clientMessageId, body: 'Hi' });
    expect(text).toMatchObject({ kind: 'text' });
    const note = OperatorClientFrame.parse({
      type: 'message.send',
      conversationId,
      clientMessageId,
      body: 'VIP',
      kind: 'note',
    });
    expect(note).toMatchObject({ kind: 'note' });
  });

  it('refuse a capacity out of range and an unknown presence', () => {
    expect(OperatorClientFrame.safeParse({ type: 'presence.set', status: 'online', capacity: 101 }).success).toBe(
      false,
    );
    expect(OperatorClientFrame.safeParse({ type: 'presence.set', status: 'busy' }).success).toBe(false);
  });

  it('describe the inbox events', () => {
    const conversation = {
      id: conversationId,
      widgetId: 'w',
      status: 'waiting',
      origin: 'chat',
      operatorId: null,
      lastSeq: 0,
      createdAt: 1,
      version: 1,
    };
    expect(OperatorServerFrame.safeParse({ type: 'inbox.waiting', conversation, requeued: false }).success).toBe(true);
    expect(OperatorServerFrame.safeParse({ type: 'inbox.waiting', conversation }).success).toBe(false);
    expect(
      OperatorServerFrame.safeParse({
        type: 'inbox.transferred',
        conversationId,
        fromOperatorId: 'a',
        toOperatorId: 'b',
        version: 3,
      }).success,
    ).toBe(true);
    // The version orders the inbox frames of one conversation: it is never missing, nor below 1.
    const closed = { type: 'inbox.closed', conversationId, closedBy: 'visitor', missed: false };
    expect(OperatorServerFrame.safeParse({ ...closed, version: 2 }).success).toBe(true);
    expect(OperatorServerFrame.safeParse(closed).success).toBe(false);
    expect(OperatorServerFrame.safeParse({ ...closed, version: 0 }).success).toBe(false);
  });
});
