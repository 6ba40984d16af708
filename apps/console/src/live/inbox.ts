/**
 * The inbox as the console shows it: every conversation it knows, by id, with the highest version
 * seen for each (docs/PROTOCOL.md: an event below it is stale and dropped), and the views and counts
 * derived from them. Pure: `Live` feeds it frames and answers, components read it.
 */
import type { ConversationSummaryDto, ConversationView, InboxConversationDto } from '@plauder/protocol';

/** A conversation of the inbox. */
export interface InboxItem extends ConversationSummaryDto {
  /** The newest seq this console has read (shown in the conversation view). */
  readSeq: number;
}

/** The inbox: conversations by id. */
export type Inbox = ReadonlyMap<string, InboxItem>;

/** A conversation of the welcome or an `inbox.waiting` frame, as the inbox keeps it. */
export function fromInboxDto(dto: InboxConversationDto, before?: InboxItem): InboxItem {
  return {
    contactName: null,
    updatedAt: dto.createdAt,
    closedAt: null,
    readSeq: 0,
    ...before,
    ...dto,
    ...newest(dto, before),
  };
}

/** A conversation listed by the API, as the inbox keeps it. */
export function fromSummary(dto: ConversationSummaryDto, before?: InboxItem): InboxItem {
  return { readSeq: before?.readSeq ?? 0, ...dto, ...newest(dto, before) };
}

/**
 * A new message changes no version, so an answer read before it came may carry the same version
 * with an older last message: the newer of both counts.
 */
function newest(
  dto: { lastSeq: number; updatedAt?: number },
  before?: InboxItem,
): Pick<InboxItem, 'lastSeq'> & Partial<InboxItem> {
  if (!before) return { lastSeq: dto.lastSeq };
  return {
    lastSeq: Math.max(dto.lastSeq, before.lastSeq),
    updatedAt: Math.max(dto.updatedAt ?? 0, before.updatedAt),
  };
}

/** How the console names a conversation: the contact, or what it is. */
export function titleOf(item: Pick<InboxItem, 'contactName' | 'origin'>): string {
  return item.contactName ?? (item.origin === 'offline_message' ? 'Offline message' : 'Visitor');
}

/** The console path that opens a conversation, in the view it belongs to. */
export function conversationPath(item: Pick<InboxItem, 'id' | 'status'>): string {
  return `/inbox/${item.status === 'closed' ? 'closed' : 'open'}/${item.id}`;
}

/**
 * The inbox with one conversation changed, unless the change is older than what it shows: a change
 * with a lower version than the shown one is dropped; an equal one is applied (the same change may
 * come twice, and an unversioned update of the same state — a new message — keeps the version).
 */
export function withItem(inbox: Inbox, item: InboxItem): Inbox {
  const shown = inbox.get(item.id);
  if (shown && item.version < shown.version) return inbox;
  const next = new Map(inbox);
  next.set(item.id, item);
  return next;
}

/** Applies `change` to a known conversation at `version`; unknown ids and stale versions change nothing. */
export function withChange(
  inbox: Inbox,
  id: string,
  version: number,
  change: (item: InboxItem) => Partial<InboxItem>,
): Inbox {
  const shown = inbox.get(id);
  if (!shown || version < shown.version) return inbox;
  return withItem(inbox, { ...shown, ...change(shown), version });
}

const byCreated = (a: InboxItem, b: InboxItem) => a.createdAt - b.createdAt || a.id.localeCompare(b.id);
const byUpdatedDesc = (a: InboxItem, b: InboxItem) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id);
const byClosedDesc = (a: InboxItem, b: InboxItem) => (b.closedAt ?? 0) - (a.closedAt ?? 0) || a.id.localeCompare(b.id);

/** The conversations of a view, in its order: waiting oldest first, the others newest first. */
export function viewOf(inbox: Inbox, view: ConversationView, operatorId: string): InboxItem[] {
  const all = [...inbox.values()];
  switch (view) {
    case 'waiting':
      return all.filter((item) => item.status === 'waiting').sort(byCreated);
    case 'mine':
      return all.filter((item) => item.status === 'open' && item.operatorId === operatorId).sort(byUpdatedDesc);
    case 'open':
      return all.filter((item) => item.status === 'open').sort(byUpdatedDesc);
    case 'closed':
      return all.filter((item) => item.status === 'closed').sort(byClosedDesc);
  }
}

/** How many conversations the open views hold. */
export function countsOf(inbox: Inbox, operatorId: string): Record<Exclude<ConversationView, 'closed'>, number> {
  const counts = { waiting: 0, mine: 0, open: 0 };
  for (const item of inbox.values()) {
    if (item.status === 'waiting') counts.waiting++;
    else if (item.status === 'open') {
      counts.open++;
      if (item.operatorId === operatorId) counts.mine++;
    }
  }
  return counts;
}

/** Whether a conversation has messages this console has not shown. */
export function isUnread(item: InboxItem): boolean {
  return item.lastSeq > item.readSeq;
}
