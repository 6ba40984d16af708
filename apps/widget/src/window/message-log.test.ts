import { describe, expect, it } from 'vitest';
import { withAcknowledged, withReceived, type ShownMessage } from './message-log.js';

const message = (key: string, seq: number | null, pending = false): ShownMessage => ({
  key,
  seq,
  authorKind: 'visitor',
  body: key,
  createdAt: 0,
  pending,
});

describe('the message log', () => {
  it('keeps messages in seq order, those on their way last, and drops a seq shown already', () => {
    let log: readonly ShownMessage[] = [message('mine', null, true)];
    log = withReceived(log, message('b', 2));
    log = withReceived(log, message('a', 1));
    log = withReceived(log, message('a-again', 1));
    expect(log.map((m) => m.key)).toEqual(['a', 'b', 'mine']);
  });

  it('keeps one copy of a message resent after a reconnect whose replay came before its ack', () => {
    // Sent, stored as seq 3, socket lost before the ack; the resume replays it, then the resend's ack comes.
    let log: readonly ShownMessage[] = [message('a', 1), message('client-id', null, true)];
    log = withReceived(log, { ...message('server-id', 3), body: 'client-id' });
    expect(log).toHaveLength(3);
    log = withAcknowledged(log, { key: 'client-id', seq: 3 });
    expect(log.map((m) => [m.key, m.seq, m.pending])).toEqual([
      ['a', 1, false],
      ['client-id', 3, false],
    ]);
  });
});
