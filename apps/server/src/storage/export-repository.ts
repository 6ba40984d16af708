import { VisitorContext } from '@plauder/protocol';
import { KeyDestroyedError } from '../crypto/errors.js';
import { openMessageBody } from './messages-repository.js';
import { openField, type Store } from './sealed-store.js';
import type { ConversationRow, Executor, MessageRow } from './schema.js';

/** A conversation as a subject access export shows it, its personal fields opened. */
export interface ExportConversation {
  id: string;
  contactId: string | null;
  widgetId: string;
  status: ConversationRow['status'];
  origin: ConversationRow['origin'];
  /** The newest message's seq when the export began: the export holds the messages up to it. */
  lastSeq: number;
  createdAt: number;
  firstResponseAt: number | null;
  closedAt: number | null;
  consent: { version: string; at: number } | null;
  visitor: { id: string; createdAt: number; lastSeenAt: number } | null;
  visitorContext: VisitorContext;
  visitorEmail: string | null;
  rating: number | null;
  ratingComment: string | null;
  /** Null once expired (24 hours), whether or not the purge has run yet. */
  visitorIp: string | null;
}

const conversationField = (accountId: string, rowId: string, column: string) => ({
  accountId,
  table: 'conversations',
  column,
  rowId,
});

/**
 * The account's conversations of some contacts or of one visitor, oldest first, opened. Erased ones
 * (their key destroyed, maybe with rows still going) are left out, also when the key goes while they
 * are opened. The visitor IP is opened only when it expires after `now`.
 */
export async function listConversationsForExport(
  store: Store,
  where: { accountId: string; contactIds?: readonly string[]; visitorId?: string; now: number },
): Promise<ExportConversation[]> {
  const { accountId, contactIds = [], visitorId } = where;
  if (contactIds.length === 0 && visitorId === undefined) return [];
  const rows = await store.db
    .selectFrom('conversations as c')
    .leftJoin('visitors as v', (join) =>
      join.onRef('v.id', '=', 'c.visitor_id').onRef('v.account_id', '=', 'c.account_id'),
    )
    .selectAll('c')
    .select(['v.id as visitor_row_id', 'v.created_at as visitor_created_at', 'v.last_seen_at as visitor_last_seen_at'])
    .where('c.account_id', '=', accountId)
    .where((eb) =>
      eb.or([
        ...(contactIds.length > 0 ? [eb('c.contact_id', 'in', [...contactIds])] : []),
        ...(visitorId === undefined ? [] : [eb('c.visitor_id', '=', visitorId)]),
      ]),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('keyring as k')
            .select('k.id')
            .where('k.account_id', '=', accountId)
            .where('k.kind', '=', 'conversation')
            .whereRef('k.subject_id', '=', 'c.id')
            .where('k.destroyed_at', 'is not', null),
        ),
      ),
    )
    .orderBy('c.created_at')
    .orderBy('c.id')
    .execute();
  const conversations: ExportConversation[] = [];
  for (const row of rows) {
    const field = (sealed: Buffer | null, column: string) =>
      openField(store, sealed, conversationField(accountId, row.id, column));
    try {
      const ipKept = row.visitor_ip_expires_at !== null && row.visitor_ip_expires_at > where.now;
      const contextText = await field(row.visitor_context_sealed, 'visitor_context_sealed');
      conversations.push({
        id: row.id,
        contactId: row.contact_id,
        widgetId: row.widget_id,
        status: row.status,
        origin: row.origin,
        lastSeq: row.last_seq,
        createdAt: row.created_at,
        firstResponseAt: row.first_response_at,
        closedAt: row.closed_at,
        consent:
          row.consent_version === null || row.consent_at === null
            ? null
            : { version: row.consent_version, at: row.consent_at },
        visitor:
          row.visitor_row_id === null || row.visitor_created_at === null || row.visitor_last_seen_at === null
            ? null
            : { id: row.visitor_row_id, createdAt: row.visitor_created_at, lastSeenAt: row.visitor_last_seen_at },
        visitorContext: contextText === null ? {} : parseContext(contextText),
        visitorEmail: await field(row.visitor_email_sealed, 'visitor_email_sealed'),
        rating: row.rating,
        ratingComment: await field(row.rating_comment_sealed, 'rating_comment_sealed'),
        visitorIp: ipKept ? await field(row.visitor_ip_sealed, 'visitor_ip_sealed') : null,
      });
    } catch (error) {
      // Erased since the select: its key went first, its rows go in the same transaction.
      if (!(error instanceof KeyDestroyedError)) throw error;
    }
  }
  return conversations;
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

/** Which messages of a conversation an export holds: up to `upToSeq`, internal notes only when asked. */
interface ExportRange {
  accountId: string;
  conversationId: string;
  upToSeq: number;
  withNotes: boolean;
}

/** An attachment of an export, its file name opened; the sealed bytes are at `storageKey`. */
export interface ExportAttachment {
  id: string;
  messageId: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  storageKey: string;
  createdAt: number;
}

/** The files of a conversation's messages in an export's range, in message order, their names opened. */
export async function listAttachmentsForExport(store: Store, range: ExportRange): Promise<ExportAttachment[]> {
  let query = store.db
    .selectFrom('attachments as a')
    .innerJoin('messages as m', (join) =>
      join.onRef('m.id', '=', 'a.message_id').onRef('m.account_id', '=', 'a.account_id'),
    )
    .select(['a.id', 'a.message_id', 'a.file_name_sealed', 'a.content_type', 'a.size_bytes', 'a.storage_key'])
    .select('a.created_at')
    .where('a.account_id', '=', range.accountId)
    .where('a.conversation_id', '=', range.conversationId)
    .where('m.seq', '<=', range.upToSeq);
  if (!range.withNotes) query = query.where('m.kind', '=', 'text');
  const rows = await query.orderBy('m.seq').orderBy('a.id').execute();
  const attachments: ExportAttachment[] = [];
  for (const row of rows) {
    // The inner join on the message makes message_id non-null here.
    if (row.message_id === null) continue;
    const context = { accountId: range.accountId, table: 'attachments', column: 'file_name_sealed', rowId: row.id };
    attachments.push({
      id: row.id,
      messageId: row.message_id,
      fileName: (await openField(store, row.file_name_sealed, context)) ?? '',
      contentType: row.content_type,
      sizeBytes: row.size_bytes,
      storageKey: row.storage_key,
      createdAt: row.created_at,
    });
  }
  return attachments;
}

/** How many messages of a conversation an export's range holds. */
export async function countMessagesForExport(db: Executor, range: ExportRange): Promise<number> {
  let query = db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', range.accountId)
    .where('conversation_id', '=', range.conversationId)
    .where('seq', '<=', range.upToSeq);
  if (!range.withNotes) query = query.where('kind', '=', 'text');
  const row = await query.executeTakeFirstOrThrow();
  // PostgreSQL answers count(*) as a bigint string, SQLite as a number.
  return Number(row.n);
}

/** A message of an export, its body opened. */
export interface ExportMessage {
  id: string;
  seq: number;
  authorKind: MessageRow['author_kind'];
  operatorId: string | null;
  kind: MessageRow['kind'];
  body: string;
  createdAt: number;
}

/**
 * One page of a conversation's messages in an export's range: at most `limit` after `afterSeq`, in
 * order, opened. Throws KeyDestroyedError once the conversation's key is destroyed.
 */
export async function listMessagesForExport(
  store: Store,
  page: ExportRange & { afterSeq: number; limit: number },
): Promise<ExportMessage[]> {
  let query = store.db
    .selectFrom('messages')
    .select(['id', 'seq', 'author_kind', 'operator_id', 'kind', 'body_sealed', 'created_at'])
    .where('account_id', '=', page.accountId)
    .where('conversation_id', '=', page.conversationId)
    .where('seq', '>', page.afterSeq)
    .where('seq', '<=', page.upToSeq);
  if (!page.withNotes) query = query.where('kind', '=', 'text');
  const rows = await query.orderBy('seq').limit(page.limit).execute();
  const messages: ExportMessage[] = [];
  for (const row of rows) {
    messages.push({
      id: row.id,
      seq: row.seq,
      authorKind: row.author_kind,
      operatorId: row.operator_id,
      kind: row.kind,
      body: await openMessageBody(store, { accountId: page.accountId, messageId: row.id, bodySealed: row.body_sealed }),
      createdAt: row.created_at,
    });
  }
  return messages;
}
