import { VisitorContext } from '@plauder/protocol';
import { KeyDestroyedError } from '../crypto/errors.js';
import { openContactName, type ConversationListing } from './conversation-lists.js';
import type { ConsentRecord } from './conversations-repository.js';
import { openField, type Store } from './sealed-store.js';

/** A conversation with what the console's visitor panel shows, its personal fields opened. */
export interface ConversationDetail extends ConversationListing {
  consent: ConsentRecord | null;
  /** What the window reported at the start; empty when it reported nothing. */
  visitorContext: VisitorContext;
  contact: { id: string; name: string | null; email: string | null } | null;
  /** The email left with an offline message. */
  visitorEmail: string | null;
  rating: number | null;
  ratingComment: string | null;
  /** The stored IP address, only when asked for and not expired: see findConversationDetail. */
  visitorIp: string | null;
}

const at = (accountId: string, rowId: string, column: string) => ({
  accountId,
  table: 'conversations',
  column,
  rowId,
});

/**
 * One conversation of the account with its visitor panel, opened; `undefined` for an unknown id or
 * another account's. The stored visitor IP is opened only when `visitorIpAt` is given and the IP
 * expires after it: an expired one is never shown, whether or not it was purged yet. Throws
 * KeyDestroyedError when the conversation was erased meanwhile; a contact erased meanwhile shows
 * without name and email.
 */
export async function findConversationDetail(
  store: Store,
  where: { accountId: string; conversationId: string; visitorIpAt?: number },
): Promise<ConversationDetail | undefined> {
  const row = await store.db
    .selectFrom('conversations as c')
    .leftJoin('contacts as k', (join) =>
      join.onRef('k.id', '=', 'c.contact_id').onRef('k.account_id', '=', 'c.account_id'),
    )
    .selectAll('c')
    .select([
      'k.id as contact_row_id',
      'k.name_sealed as contact_name_sealed',
      'k.email_sealed as contact_email_sealed',
    ])
    .where('c.account_id', '=', where.accountId)
    .where('c.id', '=', where.conversationId)
    .executeTakeFirst();
  if (!row) return undefined;
  const field = (sealed: Buffer | null, column: string) => openField(store, sealed, at(row.account_id, row.id, column));
  const ipShown =
    where.visitorIpAt !== undefined &&
    row.visitor_ip_expires_at !== null &&
    row.visitor_ip_expires_at > where.visitorIpAt;
  const contextText = await field(row.visitor_context_sealed, 'visitor_context_sealed');
  const contact = row.contact_row_id
    ? await openContact(store, {
        accountId: row.account_id,
        contactId: row.contact_row_id,
        nameSealed: row.contact_name_sealed,
        emailSealed: row.contact_email_sealed,
      })
    : null;
  return {
    id: row.id,
    widgetId: row.widget_id,
    status: row.status,
    origin: row.origin,
    operatorId: row.operator_id,
    contactId: row.contact_row_id,
    contactName: contact?.name ?? null,
    lastSeq: row.last_seq,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    stateVersion: row.state_version,
    consent:
      row.consent_version === null || row.consent_at === null
        ? null
        : { version: row.consent_version, at: row.consent_at },
    visitorContext: contextText === null ? {} : parseContext(contextText),
    contact,
    visitorEmail: await field(row.visitor_email_sealed, 'visitor_email_sealed'),
    rating: row.rating,
    ratingComment: await field(row.rating_comment_sealed, 'rating_comment_sealed'),
    visitorIp: ipShown ? await field(row.visitor_ip_sealed, 'visitor_ip_sealed') : null,
  };
}

/** A stored context as the protocol knows it; what does not parse shows as nothing reported. */
function parseContext(text: string): VisitorContext {
  try {
    const parsed = VisitorContext.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    // Written by insertConversation as JSON.stringify: unreachable unless the row was altered.
    return {};
  }
}

async function openContact(
  store: Store,
  input: { accountId: string; contactId: string; nameSealed: Buffer | null; emailSealed: Buffer | null },
): Promise<{ id: string; name: string | null; email: string | null }> {
  const { accountId, contactId } = input;
  const name = await openContactName(store, { accountId, contactId, sealed: input.nameSealed });
  let email: string | null = null;
  try {
    email = await openField(store, input.emailSealed, {
      accountId,
      table: 'contacts',
      column: 'email_sealed',
      rowId: contactId,
    });
  } catch (error) {
    if (!(error instanceof KeyDestroyedError)) throw error;
  }
  return { id: contactId, name, email };
}
