import type { ConversationPageDto, ConversationSummaryDto, ConversationView } from '@plauder/protocol';
import type { Context } from '../../context.js';
import {
  listConversations as listListings,
  sortValueOf,
  type ConversationListing,
  type ListPosition,
} from '../../storage/conversation-lists.js';
import { AppError } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';

/** The most conversations one page holds, and how many it holds when the caller does not say. */
export const CONVERSATION_PAGE_LIMIT = { max: 500, default: 100 } as const;

/**
 * One page of a conversation list of the caller's account: `waiting` (oldest first), `open` (every
 * open one) and `mine` (the open ones the calling operator holds), most recently changed first, and
 * `closed` (last closed first). Every role may read every list. `cursor` is the `nextCursor` of the
 * page before, of the same view; a malformed one or another view's answers `validation_failed`, and
 * so does `mine` for an API token, which holds no conversations.
 */
export async function listConversations(
  ctx: Context,
  input: { by: Principal; view: ConversationView; limit?: number; cursor?: string },
): Promise<ConversationPageDto> {
  requireRole(input.by, 'operator');
  const { by, view } = input;
  const limit = input.limit ?? CONVERSATION_PAGE_LIMIT.default;
  if (!Number.isInteger(limit) || limit < 1 || limit > CONVERSATION_PAGE_LIMIT.max) {
    throw new AppError('validation_failed', `limit is a whole number from 1 to ${CONVERSATION_PAGE_LIMIT.max}`);
  }
  if (view === 'mine' && by.kind !== 'operator') {
    throw new AppError(
      'validation_failed',
      "view=mine lists the calling operator's conversations; an API token holds none",
    );
  }
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor, view);
  // One row more than the page: its presence says whether there is a next page.
  const listings = await listListings(ctx.store, {
    accountId: by.accountId,
    view,
    ...(by.kind === 'operator' ? { operatorId: by.operatorId } : {}),
    ...(after ? { after } : {}),
    limit: limit + 1,
  });
  const page = listings.slice(0, limit);
  const last = page.at(-1);
  return {
    conversations: page.map(conversationSummaryDto),
    nextCursor:
      listings.length > limit && last ? encodeCursor(view, { sortValue: sortValueOf(last, view), id: last.id }) : null,
  };
}

/** A listed conversation as the API shows it. */
export function conversationSummaryDto(listing: ConversationListing): ConversationSummaryDto {
  return {
    id: listing.id,
    widgetId: listing.widgetId,
    status: listing.status,
    origin: listing.origin,
    operatorId: listing.operatorId,
    contactName: listing.contactName,
    lastSeq: listing.lastSeq,
    createdAt: listing.createdAt,
    updatedAt: listing.updatedAt,
    closedAt: listing.closedAt,
    version: listing.stateVersion,
  };
}

/**
 * A cursor: base64url of `view:sortValue:id`. Opaque to clients; the view is inside so that a cursor
 * of one list is not taken for a position in another.
 */
export function encodeCursor(view: ConversationView, position: ListPosition): string {
  return Buffer.from(`${view}:${position.sortValue}:${position.id}`, 'utf8').toString('base64url');
}

const CURSOR = /^(waiting|mine|open|closed):(\d{1,16}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

function decodeCursor(cursor: string, view: ConversationView): ListPosition {
  const match = /^[A-Za-z0-9_-]{1,200}$/.test(cursor)
    ? CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
    : null;
  if (!match || match[1] !== view) {
    throw new AppError('validation_failed', `cursor is not a nextCursor of view=${view}; start without one`);
  }
  return { sortValue: Number(match[2]), id: match[3] ?? '' };
}
