import type { ConversationSummaryDto, MessageDto } from '@plauder/protocol';
import { describe, expect, it } from 'vitest';
import { Api, ApiError } from '../api.js';
import { Store } from '../lib/store.js';
import { Conversations } from './conversations.js';
import { fromSummary, withItem, type Inbox } from './inbox.js';
import { Listings } from './listings.js';
import { withMessages } from './thread.js';

function summary(id: string, overrides: Partial<ConversationSummaryDto> = {}): ConversationSummaryDto {
  return {
    id,
    widgetId: 'w',
    status: 'waiting',
    origin: 'chat',
    operatorId: null,
    contactName: null,
    lastSeq: 1,
    createdAt: 1000,
    updatedAt: 1000,
    closedAt: null,
    version: 1,
    ...overrides,
  };
}

/** An installation that knows some conversations: lists them by status, and answers 404 for the others. */
class FakeApi extends Api {
  readonly requests: string[] = [];
  constructor(private readonly existing: readonly ConversationSummaryDto[]) {
    super();
  }

  override request<T>(method: string, path: string): Promise<T> {
    this.requests.push(`${method} ${path}`);
    const view = /view=(\w+)/.exec(path)?.[1];
    // Safe: each answer has the shape of the route it stands for.
    if (view) {
      const conversations = this.existing.filter((c) => (view === 'open' ? c.status === 'open' : c.status === view));
      return Promise.resolve({ conversations, nextCursor: null } as T);
    }
    const id = decodeURIComponent(path.split('/').at(-1) ?? '');
    const found = this.existing.find((c) => c.id === id);
    return found
      ? Promise.resolve(found as T)
      : Promise.reject(new ApiError(404, 'not_found', `No conversation with id ${id}`));
  }
}

function setUp(shown: readonly ConversationSummaryDto[], existing: readonly ConversationSummaryDto[]) {
  const api = new FakeApi(existing);
  const inbox = new Store<Inbox>(shown.reduce((all, dto) => withItem(all, fromSummary(dto)), new Map() as Inbox));
  const conversations = new Conversations(
    api,
    () => true,
    () => undefined,
  );
  const listings = new Listings(api, inbox, conversations, () => undefined);
  return { api, inbox, conversations, listings };
}

describe("the inbox's reads", () => {
  it('lets conversations erased by a bulk delete leave the lists, and keeps the others', async () => {
    const kept = summary('waiting-kept');
    const erasedOpen = summary('open-erased', { status: 'open', operatorId: 'op' });
    const erasedClosed = summary('closed-erased', { status: 'closed', closedAt: 2000 });
    const { inbox, listings, conversations } = setUp([kept, erasedOpen, erasedClosed], [kept]);
    conversations.thread('open-erased').set({ ...conversations.thread('open-erased').get(), loaded: true });
    listings.closedCursor.set(null);

    await listings.reread();
    // The erased open one is read by itself (404) after the lists did not name it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect([...inbox.get().keys()]).toEqual(['waiting-kept']);
    // The closed view starts over from its first page when it is shown.
    expect(listings.closedCursor.get()).toBeUndefined();
    // A view that shows the erased one says so, instead of its old transcript.
    expect(conversations.thread('open-erased').get().loadError).toMatch(/deleted/);
  });

  it('drops a message deleted in any console from a thread it shows, and creates no thread for others', () => {
    const { conversations } = setUp([], []);
    const message = (seq: number): MessageDto => ({
      id: `m${seq}`,
      conversationId: 'c',
      seq,
      authorKind: 'visitor',
      kind: 'text',
      body: `m${seq}`,
      createdAt: seq,
    });
    conversations.thread('c').update((thread) => withMessages(thread, [message(1), message(2)]));
    conversations.removed('c', 2);
    conversations.removed('elsewhere', 1);
    expect(
      conversations
        .thread('c')
        .get()
        .messages.map((m) => m.seq),
    ).toEqual([1]);
    // The deleted message, replayed by a resume read before the deletion, stays out.
    conversations.received(message(2));
    expect(
      conversations
        .thread('c')
        .get()
        .messages.map((m) => m.seq),
    ).toEqual([1]);
    // No thread was made for a conversation this console does not show: a new one remembers nothing.
    expect(conversations.thread('elsewhere').get().deletedSeqs.size).toBe(0);
  });
});
