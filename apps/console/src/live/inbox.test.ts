import type { InboxConversationDto } from '@plauder/protocol';
import { describe, expect, it } from 'vitest';
import { countsOf, fromInboxDto, fromSummary, isUnread, viewOf, withChange, withItem, type Inbox } from './inbox.js';

const me = 'op-me';
function dto(id: string, overrides: Partial<InboxConversationDto> = {}): InboxConversationDto {
  return {
    id,
    widgetId: 'w',
    status: 'waiting',
    origin: 'chat',
    operatorId: null,
    lastSeq: 1,
    createdAt: 1000,
    version: 1,
    ...overrides,
  };
}
const inboxOf = (...items: InboxConversationDto[]): Inbox =>
  items.reduce((inbox, item) => withItem(inbox, fromInboxDto(item)), new Map() as Inbox);

describe('the inbox', () => {
  it('drops a change older than the version it shows, and applies an equal or newer one', () => {
    const inbox = inboxOf(dto('a', { version: 3, status: 'open', operatorId: me }));
    expect(withChange(inbox, 'a', 2, () => ({ status: 'closed' })).get('a')?.status).toBe('open');
    expect(withChange(inbox, 'a', 3, () => ({ status: 'closed' })).get('a')?.status).toBe('closed');
    expect(withChange(inbox, 'a', 4, () => ({ status: 'closed' })).get('a')?.version).toBe(4);
    expect(withItem(inbox, fromInboxDto(dto('a', { version: 1 })))).toBe(inbox);
  });

  it('changes nothing for an unknown id', () => {
    const inbox = inboxOf(dto('a'));
    expect(withChange(inbox, 'nope', 9, () => ({ status: 'closed' }))).toBe(inbox);
  });

  it('sorts the views and counts them', () => {
    const inbox = inboxOf(
      dto('w2', { createdAt: 2000 }),
      dto('w1', { createdAt: 1000 }),
      dto('m', { status: 'open', operatorId: me }),
      dto('o', { status: 'open', operatorId: 'op-other' }),
      dto('c', { status: 'closed' }),
    );
    expect(viewOf(inbox, 'waiting', me).map((i) => i.id)).toEqual(['w1', 'w2']);
    expect(viewOf(inbox, 'mine', me).map((i) => i.id)).toEqual(['m']);
    expect(
      viewOf(inbox, 'open', me)
        .map((i) => i.id)
        .sort(),
    ).toEqual(['m', 'o']);
    expect(viewOf(inbox, 'closed', me).map((i) => i.id)).toEqual(['c']);
    expect(countsOf(inbox, me)).toEqual({ waiting: 2, mine: 1, open: 2 });
  });

  it('keeps what the console read when the same conversation comes again', () => {
    const first = fromInboxDto(dto('a', { lastSeq: 4 }));
    const read = { ...first, readSeq: 4 };
    expect(isUnread(first)).toBe(true);
    expect(isUnread(fromInboxDto(dto('a', { lastSeq: 4, version: 2 }), read))).toBe(false);
    expect(isUnread(fromInboxDto(dto('a', { lastSeq: 5, version: 2 }), read))).toBe(true);
  });

  it('keeps a newer last message than an answer of the same version that was read before it', () => {
    const shown = { ...fromInboxDto(dto('a', { lastSeq: 7 })), updatedAt: 5000 };
    const stale = { ...shown, lastSeq: 5, updatedAt: 4000, contactName: 'Ada' };
    expect(fromSummary(stale, shown)).toMatchObject({ lastSeq: 7, updatedAt: 5000, contactName: 'Ada' });
    expect(fromSummary({ ...stale, lastSeq: 9, updatedAt: 6000 }, shown)).toMatchObject({
      lastSeq: 9,
      updatedAt: 6000,
    });
  });
});
