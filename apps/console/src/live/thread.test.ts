import type { MessageDto } from '@plauder/protocol';
import { describe, expect, it } from 'vitest';
import {
  lastSeqOf,
  newThread,
  withAcknowledged,
  withMessages,
  withoutMessage,
  withRefused,
  type Thread,
} from './thread.js';

function message(seq: number, body = `m${seq}`): MessageDto {
  return { id: `id${seq}`, conversationId: 'c', seq, authorKind: 'visitor', kind: 'text', body, createdAt: seq };
}

describe('a thread', () => {
  it('keeps each seq once, in order, however the messages arrive', () => {
    let thread = withMessages(newThread('c'), [message(3), message(4)]);
    thread = withMessages(thread, [message(5), message(4)]);
    thread = withMessages(thread, [message(1), message(2), message(3, 'replayed')]);
    expect(thread.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(thread.messages[2]?.body).toBe('m3');
    expect(lastSeqOf(thread)).toBe(5);
  });

  it('moves an acknowledged message from pending into the transcript, and keeps a refused one', () => {
    const pending = [
      { clientMessageId: 'a', body: 'hello', kind: 'text' as const },
      { clientMessageId: 'b', body: 'world', kind: 'text' as const },
    ];
    let thread: Thread = { ...newThread('c'), pending };
    thread = withAcknowledged(thread, 'a', { ...message(1, 'hello'), authorKind: 'operator' });
    thread = withRefused(thread, 'b', { code: 'conversation_closed', message: 'closed' });
    expect(thread.messages.map((m) => m.body)).toEqual(['hello']);
    expect(thread.pending).toEqual([{ ...pending[1], error: { code: 'conversation_closed', message: 'closed' } }]);
  });

  it('drops a deleted message and keeps it out when a page read before the deletion brings it again', () => {
    let thread = withMessages(newThread('c'), [message(1), message(2), message(3)]);
    thread = withoutMessage(thread, 3);
    thread = withoutMessage(thread, 2);
    expect(thread.messages.map((m) => m.seq)).toEqual([1]);
    expect(lastSeqOf(thread)).toBe(1);
    // A replay from the last seq shown, and an older page answered late, both carried the deleted ones.
    thread = withMessages(thread, [message(3), message(4)]);
    thread = withMessages(thread, [message(1), message(2)]);
    expect(thread.messages.map((m) => m.seq)).toEqual([1, 4]);
  });

  it('ignores the deletion of a message it does not show', () => {
    const thread = withMessages(newThread('c'), [message(1)]);
    expect(withoutMessage(thread, 7).messages).toEqual(thread.messages);
  });
});
