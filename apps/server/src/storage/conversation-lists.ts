import { KeyDestroyedError } from '../crypto/errors.js';
import { openField, type Store } from './sealed-store.js';
import type { ConversationRow, Executor } from './schema.js';

/** The lists of the console's inbox: see listConversations. */
export type ConversationListView = 'waiting' | 'mine' | 'open' | 'closed';

/** A conversation as the console lists it, with its contact's name opened. */
export interface ConversationListing {
  id: string;
  widgetId: string;
  status: ConversationRow['status'];
  origin: ConversationRow['origin'];
  operatorId: string | null;
  contactId: string | null;
  contactName: string | null;
  lastSeq: number;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  stateVersion: number;
}

/** Where a page of a list starts: after the row with this sort value (epoch ms) and id. */
export interface ListPosition {
  sortValue: number;
  id: string;
}

/** The column each list is ordered by, and in which direction (the id breaks ties the same way). */
const ORDER = {
  waiting: { column: 'created_at', direction: 'asc' },
  mine: { column: 'updated_at', direction: 'desc' },
  open: { column: 'updated_at', direction: 'desc' },
  closed: { column: 'closed_at', direction: 'desc' },
} as const;

/**
 * One page of a conversation list of an account: `waiting` (oldest first), `open` (all open ones),
 * `mine` (the open ones `operatorId` holds) — newest change first —, `closed` (last closed first).
 * Keyset paging: a page starts after `after`, so rows that tie on their time neither repeat nor go
 * missing. Each contact's name is opened once per page, however many of its conversations are on it.
 */
export async function listConversations(
  store: Store,
  where: { accountId: string; view: ConversationListView; operatorId?: string; after?: ListPosition; limit: number },
): Promise<ConversationListing[]> {
  const { column, direction } = ORDER[where.view];
  const sortColumn = `c.${column}` as const;
  let query = selectListings(store.db, where.accountId).where(
    'c.status',
    '=',
    where.view === 'mine' ? 'open' : where.view,
  );
  if (where.view === 'mine') query = query.where('c.operator_id', '=', where.operatorId ?? '');
  if (where.after) {
    const { sortValue, id } = where.after;
    query = query.where((eb) =>
      eb(eb.refTuple(sortColumn, 'c.id'), direction === 'asc' ? '>' : '<', eb.tuple(sortValue, id)),
    );
  }
  const rows = await query.orderBy(sortColumn, direction).orderBy('c.id', direction).limit(where.limit).execute();
  return toListings(store, where.accountId, rows);
}

/**
 * The listings of the account's conversations among `conversationIds`, in no particular order; ids
 * that are not the account's, or are gone, have none. Names are opened as listConversations does.
 */
export async function listConversationsByIds(
  store: Store,
  where: { accountId: string; conversationIds: readonly string[] },
): Promise<ConversationListing[]> {
  if (where.conversationIds.length === 0) return [];
  const rows = await selectListings(store.db, where.accountId).where('c.id', 'in', where.conversationIds).execute();
  return toListings(store, where.accountId, rows);
}

/** The account's conversations with the columns of a listing and their contact's sealed name. */
function selectListings(db: Executor, accountId: string) {
  return (
    db
      .selectFrom('conversations as c')
      // The contact is the conversation's own account's: a join on the id alone could not cross accounts
      // (ids are UUIDs), and the account condition says so.
      .leftJoin('contacts as k', (join) =>
        join.onRef('k.id', '=', 'c.contact_id').onRef('k.account_id', '=', 'c.account_id'),
      )
      .select([
        'c.id',
        'c.widget_id',
        'c.status',
        'c.origin',
        'c.operator_id',
        'c.contact_id',
        'c.last_seq',
        'c.created_at',
        'c.updated_at',
        'c.closed_at',
        'c.state_version',
        'k.name_sealed as contact_name_sealed',
      ])
      .where('c.account_id', '=', accountId)
  );
}

type ListingRow = Awaited<ReturnType<ReturnType<typeof selectListings>['execute']>>[number];

/** Listings of rows, each contact's name opened once however many of its conversations are among them. */
async function toListings(store: Store, accountId: string, rows: ListingRow[]): Promise<ConversationListing[]> {
  const names = new Map<string, Promise<string | null>>();
  const nameOf = (contactId: string, sealed: Buffer): Promise<string | null> => {
    let name = names.get(contactId);
    if (!name) {
      name = openContactName(store, { accountId, contactId, sealed });
      names.set(contactId, name);
    }
    return name;
  };
  const listings: ConversationListing[] = [];
  for (const row of rows) {
    const contactName =
      row.contact_id && row.contact_name_sealed ? await nameOf(row.contact_id, row.contact_name_sealed) : null;
    listings.push({
      id: row.id,
      widgetId: row.widget_id,
      status: row.status,
      origin: row.origin,
      operatorId: row.operator_id,
      contactId: row.contact_id,
      contactName,
      lastSeq: row.last_seq,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      closedAt: row.closed_at,
      stateVersion: row.state_version,
    });
  }
  return listings;
}

/** The sort value of a listing in a view: what the next page's position is made of. */
export function sortValueOf(listing: ConversationListing, view: ConversationListView): number {
  switch (ORDER[view].column) {
    case 'created_at':
      return listing.createdAt;
    case 'updated_at':
      return listing.updatedAt;
    case 'closed_at':
      // Every closed conversation has its closed_at (closeConversationRow sets both at once).
      return listing.closedAt ?? 0;
  }
}

/** A contact's name opened with the contact's key; null once the contact was erased meanwhile. */
export async function openContactName(
  store: Store,
  input: { accountId: string; contactId: string; sealed: Buffer | null },
): Promise<string | null> {
  try {
    return await openField(store, input.sealed, {
      accountId: input.accountId,
      table: 'contacts',
      column: 'name_sealed',
      rowId: input.contactId,
    });
  } catch (error) {
    if (error instanceof KeyDestroyedError) return null;
    throw error;
  }
}
