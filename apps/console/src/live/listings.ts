/**
 * What the inbox reads from the API rather than the socket: the open conversations beside the
 * welcome's, the closed ones page by page, one conversation an event names but the console does not
 * list, and everything again after an erasure the socket does not tell of (a bulk delete). Part of
 * `Live`, which owns the inbox store and hands it in.
 */
import type { ConversationDetailDto, ConversationPageDto, ConversationSummaryDto } from '@plauder/protocol';
import { ApiError, errorText, type Api } from '../api.js';
import { Store } from '../lib/store.js';
import type { Conversations } from './conversations.js';
import { fromSummary, withItem, type Inbox, type InboxItem } from './inbox.js';

/** At most this many open (or waiting) conversations are read for a view (500 per request). */
const OPEN_LIMIT = 5000;

/** The inbox's reads from the API. */
export class Listings {
  /** The closed view's next page, or null when all are loaded; undefined before the first. */
  readonly closedCursor = new Store<string | null | undefined>(undefined);

  constructor(
    private readonly api: Api,
    private readonly inbox: Store<Inbox>,
    private readonly conversations: Conversations,
    /** Tells the operator what could not be read. */
    private readonly notify: (text: string) => void,
  ) {}

  /** Takes conversations listed by the API (search hits, a contact's) into the inbox. */
  addSummaries(summaries: readonly ConversationSummaryDto[]): void {
    this.inbox.update((inbox) =>
      summaries.reduce((next, dto) => withItem(next, fromSummary(dto, next.get(dto.id))), inbox),
    );
  }

  /** Loads the next page of closed conversations. */
  async loadClosed(): Promise<void> {
    const cursor = this.closedCursor.get();
    if (cursor === null) return;
    try {
      const page = await this.listPage('closed', 100, cursor);
      this.addSummaries(page.conversations);
      this.closedCursor.set(page.nextCursor);
    } catch (error) {
      this.notify(`Could not load the closed conversations: ${errorText(error)}`);
    }
  }

  /**
   * Reads every open conversation; those in `unconfirmed` (id → version shown at the welcome) that
   * the API does not list as open, and that no event changed since, are read again one by one.
   */
  async loadOpen(unconfirmed: ReadonlyMap<string, number>): Promise<void> {
    await this.confirm(['open'], unconfirmed);
  }

  /**
   * Reads the lists again after conversations were erased without an event (a bulk delete): the
   * closed ones are dropped and read again from their first page (those open in a view are checked
   * one by one), the waiting and open ones are listed, and one not listed is read by itself: an
   * erased one leaves the inbox.
   */
  async reread(): Promise<void> {
    const unconfirmed = new Map<string, number>();
    const kept = new Map<string, InboxItem>();
    for (const [id, item] of this.inbox.get()) {
      if (item.status === 'closed' && !this.conversations.isFollowed(id)) continue;
      kept.set(id, item);
      unconfirmed.set(id, item.version);
    }
    this.inbox.set(kept);
    this.closedCursor.set(undefined);
    await this.confirm(['waiting', 'open'], unconfirmed);
  }

  /** Reads one conversation an event names, or one the lists did not confirm; an erased one leaves. */
  async refreshItem(id: string): Promise<void> {
    try {
      const detail = await this.api.request<ConversationDetailDto>(
        'GET',
        `/api/v1/conversations/${encodeURIComponent(id)}`,
      );
      this.addSummaries([detail]);
      this.conversations.setDetail(detail);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'not_found') {
        this.inbox.update((inbox) => {
          const next = new Map(inbox);
          next.delete(id);
          return next;
        });
        this.conversations.erased(id);
      }
    }
  }

  /** Lists the views; each of `unconfirmed` not listed, and unchanged since, is read by itself. */
  private async confirm(views: readonly ('waiting' | 'open')[], unconfirmed: ReadonlyMap<string, number>) {
    const listed = new Set<string>();
    try {
      for (const view of views) {
        let cursor: string | null | undefined;
        let loaded = 0;
        do {
          const page: ConversationPageDto = await this.listPage(view, 500, cursor);
          this.addSummaries(page.conversations);
          for (const conversation of page.conversations) listed.add(conversation.id);
          cursor = page.nextCursor;
          loaded += page.conversations.length;
        } while (cursor && loaded < OPEN_LIMIT);
      }
    } catch (error) {
      this.notify(`Could not load the open conversations: ${errorText(error)}`);
      return;
    }
    for (const [id, version] of unconfirmed) {
      if (!listed.has(id) && this.inbox.get().get(id)?.version === version) void this.refreshItem(id);
    }
  }

  private listPage(view: 'waiting' | 'open' | 'closed', limit: number, cursor: string | null | undefined) {
    const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    return this.api.request<ConversationPageDto>('GET', `/api/v1/conversations?view=${view}&limit=${limit}${after}`);
  }
}
