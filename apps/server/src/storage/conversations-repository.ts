import { createHash } from 'node:crypto';
import { timeOrderedUuid, type VisitorContext } from '@plauder/protocol';
import { KeyDestroyedError } from '../crypto/errors.js';
import type { DataKey } from '../crypto/seal.js';
import { assertOwned } from './account-references.js';
import { PreparedQuery } from './prepared-query.js';
import { inTransaction, openField, sealField, type Store } from './sealed-store.js';
import type { ConversationRow, Executor } from './schema.js';

/**
 * How long a stored visitor IP is shown: 23 hours. The promise is "gone within 24 hours"; the
 * `purge-ip-addresses` job runs every 15 minutes and removes an expired IP soon after its expiry, so
 * the hour the expiry leaves free covers a run or two that are late.
 */
export const VISITOR_IP_TTL_MS = 23 * 60 * 60 * 1000;

/** A conversation with its personal fields opened. */
export interface Conversation {
  id: string;
  accountId: string;
  widgetId: string;
  visitorId: string | null;
  contactId: string | null;
  operatorId: string | null;
  status: ConversationRow['status'];
  visitorEmail: string | null;
  visitorIp: string | null;
  rating: number | null;
  ratingComment: string | null;
  lastSeq: number;
  createdAt: number;
  closedAt: number | null;
  /** The version of the privacy notice the visitor consented to; null without consent. */
  consentVersion: string | null;
  /** When the server received the consent; null without consent. */
  consentAt: number | null;
}

/** A visitor's consent to the privacy notice as recorded: the notice's version and when it arrived. */
export interface ConsentRecord {
  version: string;
  at: number;
}

const context = (accountId: string, rowId: string, column: string) => ({
  accountId,
  table: 'conversations',
  column,
  rowId,
});

/**
 * Creates a conversation with its own key. `visitorIp` is stored only when given (the account shows
 * IPs), sealed, and expires VISITOR_IP_TTL_MS (23 hours) later. Throws ReferenceNotFoundError, writing nothing, when the
 * widget, visitor or contact is unknown or another account's.
 */
export function insertConversation(
  store: Store,
  input: {
    accountId: string;
    widgetId: string;
    visitorId: string | null;
    contactId?: string | null;
    visitorEmail?: string | null;
    visitorIp?: string | null;
    origin?: 'chat' | 'offline_message';
    /** The ref the window started it under (stored as its digest): see findConversationStartedAs. */
    startRef?: string;
    /** The visitor's consent to the privacy notice, when given. */
    consent?: ConsentRecord | null;
    /** Where the visitor was (VisitorContext), stored as sealed JSON. */
    visitorContext?: VisitorContext | null;
    now: number;
  },
): Promise<string> {
  return inTransaction(store, async (tx) => {
    const { accountId } = input;
    await assertOwned(tx.db, { table: 'widgets', accountId, id: input.widgetId, what: 'widget' });
    await assertOwned(tx.db, { table: 'visitors', accountId, id: input.visitorId, what: 'visitor' });
    await assertOwned(tx.db, { table: 'contacts', accountId, id: input.contactId, what: 'contact' });
    // Time-ordered: the rows keyed by conversation (its search index words, its messages' indexes)
    // of the oldest conversations sit together, where the retention sweep and bulk deletes take them.
    const id = timeOrderedUuid(input.now);
    const key = await tx.keyring.createSubjectKey(tx.db, {
      accountId: input.accountId,
      kind: 'conversation',
      subjectId: id,
      now: input.now,
    });
    const at = (column: string) => context(input.accountId, id, column);
    await tx.db
      .insertInto('conversations')
      .values({
        id,
        account_id: input.accountId,
        widget_id: input.widgetId,
        visitor_id: input.visitorId,
        contact_id: input.contactId ?? null,
        operator_id: null,
        status: 'waiting',
        visitor_email_sealed: sealField(key, input.visitorEmail, at('visitor_email_sealed')),
        visitor_ip_sealed: sealField(key, input.visitorIp, at('visitor_ip_sealed')),
        visitor_ip_expires_at: input.visitorIp ? input.now + VISITOR_IP_TTL_MS : null,
        rating: null,
        rating_comment_sealed: null,
        last_seq: 0,
        created_at: input.now,
        updated_at: input.now,
        closed_at: null,
        first_response_at: null,
        origin: input.origin ?? 'chat',
        start_ref_digest: input.startRef === undefined ? null : startRefDigest(input.startRef),
        consent_version: input.consent?.version ?? null,
        consent_at: input.consent?.at ?? null,
        visitor_context_sealed: sealField(
          key,
          input.visitorContext ? JSON.stringify(input.visitorContext) : null,
          at('visitor_context_sealed'),
        ),
      })
      .execute();
    return id;
  });
}

/**
 * Stores the visitor's rating (1–5) and optional comment, sealed. Returns false for an unknown id or
 * another account's: there is no key to seal with for either.
 */
export async function rateConversation(
  store: Store,
  input: { accountId: string; conversationId: string; rating: number; comment: string | null; now: number },
): Promise<boolean> {
  let key: DataKey;
  try {
    key = await store.keyring.subjectKey(store.db, {
      accountId: input.accountId,
      kind: 'conversation',
      subjectId: input.conversationId,
    });
  } catch (error) {
    if (error instanceof KeyDestroyedError) return false;
    throw error;
  }
  const result = await store.db
    .updateTable('conversations')
    .set({
      rating: input.rating,
      rating_comment_sealed: sealField(
        key,
        input.comment,
        context(input.accountId, input.conversationId, 'rating_comment_sealed'),
      ),
      updated_at: input.now,
    })
    .where('account_id', '=', input.accountId)
    .where('id', '=', input.conversationId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** One conversation of the account, opened; `undefined` when unknown or another account's. */
export async function getConversation(
  store: Store,
  where: { accountId: string; conversationId: string },
): Promise<Conversation | undefined> {
  const row = await store.db
    .selectFrom('conversations')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .executeTakeFirst();
  if (!row) return undefined;
  const at = (column: string) => context(row.account_id, row.id, column);
  return {
    id: row.id,
    accountId: row.account_id,
    widgetId: row.widget_id,
    visitorId: row.visitor_id,
    contactId: row.contact_id,
    operatorId: row.operator_id,
    status: row.status,
    visitorEmail: await openField(store, row.visitor_email_sealed, at('visitor_email_sealed')),
    visitorIp: await openField(store, row.visitor_ip_sealed, at('visitor_ip_sealed')),
    rating: row.rating,
    ratingComment: await openField(store, row.rating_comment_sealed, at('rating_comment_sealed')),
    lastSeq: row.last_seq,
    createdAt: row.created_at,
    closedAt: row.closed_at,
    consentVersion: row.consent_version,
    consentAt: row.consent_at,
  };
}

/** A conversation's routing state, without any sealed field. */
export interface ConversationState {
  id: string;
  accountId: string;
  widgetId: string;
  visitorId: string | null;
  operatorId: string | null;
  status: ConversationRow['status'];
  origin: ConversationRow['origin'];
  lastSeq: number;
  firstResponseAt: number | null;
  createdAt: number;
  /** Counts the changes of status and operator: see the 0006 migration. */
  stateVersion: number;
}

const stateColumns = [
  'id',
  'account_id',
  'widget_id',
  'visitor_id',
  'operator_id',
  'status',
  'origin',
  'last_seq',
  'first_response_at',
  'created_at',
  'state_version',
] as const;

function stateOf(row: Pick<ConversationRow, (typeof stateColumns)[number]>): ConversationState {
  return {
    id: row.id,
    accountId: row.account_id,
    widgetId: row.widget_id,
    visitorId: row.visitor_id,
    operatorId: row.operator_id,
    status: row.status,
    origin: row.origin,
    lastSeq: row.last_seq,
    firstResponseAt: row.first_response_at,
    createdAt: row.created_at,
    stateVersion: row.state_version,
  };
}

/** A conversation's state, or `undefined` for an unknown id or another account's. */
export async function findConversationState(
  db: Executor,
  where: { accountId: string; conversationId: string },
): Promise<ConversationState | undefined> {
  const row = await db
    .selectFrom('conversations')
    .select(stateColumns)
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .executeTakeFirst();
  return row ? stateOf(row) : undefined;
}

/** A ref as stored: the window chooses it, so only its digest is kept. */
function startRefDigest(ref: string): string {
  return createHash('sha256').update(ref, 'utf8').digest('hex');
}

/** The conversation a visitor started under `startRef` (insertConversation), with when; else `undefined`. */
export async function findConversationStartedAs(
  db: Executor,
  where: { accountId: string; visitorId: string; startRef: string },
): Promise<{ id: string; createdAt: number } | undefined> {
  const row = await db
    .selectFrom('conversations')
    .select(['id', 'created_at'])
    .where('account_id', '=', where.accountId)
    .where('visitor_id', '=', where.visitorId)
    .where('start_ref_digest', '=', startRefDigest(where.startRef))
    .executeTakeFirst();
  return row ? { id: row.id, createdAt: row.created_at } : undefined;
}

/** How many chats of a visitor are not closed (offline messages do not count). */
export async function countOpenConversationsOfVisitor(
  db: Executor,
  where: { accountId: string; visitorId: string },
): Promise<number> {
  const row = await db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', where.accountId)
    .where('visitor_id', '=', where.visitorId)
    .where('status', '!=', 'closed')
    .where('origin', '=', 'chat')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many of the account's waiting conversations came before one created at `createdAt`. */
export async function countWaitingAhead(
  db: Executor,
  where: { accountId: string; createdAt: number; conversationId: string },
): Promise<number> {
  const row = await db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', where.accountId)
    .where('status', '=', 'waiting')
    .where('origin', '=', 'chat')
    .where((eb) =>
      eb.or([
        eb('created_at', '<', where.createdAt),
        eb.and([eb('created_at', '=', where.createdAt), eb('id', '<', where.conversationId)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Notes the first operator answer; false when the conversation had one already. */
export async function markFirstResponse(
  db: Executor,
  where: { accountId: string; conversationId: string; at: number },
): Promise<boolean> {
  const result = await db
    .updateTable('conversations')
    .set({ first_response_at: where.at })
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .where('first_response_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Closes a conversation and answers its new state version; `undefined` when it was closed already
 * (or is unknown in this account).
 */
export async function closeConversationRow(
  db: Executor,
  where: { accountId: string; conversationId: string; at: number },
): Promise<number | undefined> {
  const row = await db
    .updateTable('conversations')
    .set((eb) => ({
      status: 'closed',
      closed_at: where.at,
      updated_at: where.at,
      state_version: eb('state_version', '+', 1),
    }))
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .where('status', '!=', 'closed')
    .returning('state_version')
    .executeTakeFirst();
  return row?.state_version;
}

/** A conversation's rating, or null when it has none (or is unknown in this account). */
export async function findRating(
  db: Executor,
  where: { accountId: string; conversationId: string },
): Promise<number | null> {
  const row = await db
    .selectFrom('conversations')
    .select('rating')
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .executeTakeFirst();
  return row?.rating ?? null;
}

/**
 * Locks a conversation's row until the transaction ends and answers its state, so a send, a close,
 * an assignment and a rating of one conversation never interleave their reads and writes (PostgreSQL
 * row lock; on SQLite the write transaction holds the database lock already). `undefined` for an
 * unknown id or another account's.
 */
export async function lockConversation(
  db: Executor,
  where: { accountId: string; conversationId: string },
): Promise<ConversationState | undefined> {
  const row = await db
    .updateTable('conversations')
    .set((eb) => ({ status: eb.ref('status') }))
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .returning(stateColumns)
    .executeTakeFirst();
  return row ? stateOf(row) : undefined;
}

type ClaimValues = { accountId: string; conversationId: string; now: number };

/** The update that takes a conversation's next seq, before its returning clause. */
const claimSeq = (db: Executor, values: ClaimValues) =>
  db
    .updateTable('conversations')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1), updated_at: values.now }))
    .where('account_id', '=', values.accountId)
    .where('id', '=', values.conversationId);

const claimSeqQuery = new PreparedQuery((db, values: ClaimValues) => claimSeq(db, values).returning(stateColumns));

/**
 * Takes the next sequence number of a conversation and locks its row until the transaction ends, as
 * lockConversation does, in one statement: the state answered has `lastSeq` set to the number taken.
 * A caller that then stores nothing gives the number back with releaseSeq (or by rolling back).
 * `undefined` for an unknown id or another account's.
 */
export async function claimNextSeq(db: Executor, where: ClaimValues): Promise<ConversationState | undefined> {
  const row = await claimSeqQuery.executeTakeFirst(db, where);
  return row ? stateOf(row) : undefined;
}

/** Who may take a seq in claimSeqIfWritable: its visitor, the operator who holds it, or any operator (notes). */
export type SeqWriter = { visitorId: string } | { holderId: string } | 'any-operator';

const claimOpen = (db: Executor, values: ClaimValues) => claimSeq(db, values).where('status', '<>', 'closed');

const claimForVisitor = new PreparedQuery((db, values: ClaimValues & { visitorId: string }) =>
  claimOpen(db, values).where('visitor_id', '=', values.visitorId).returning(stateColumns),
);
const claimForHolder = new PreparedQuery((db, values: ClaimValues & { holderId: string }) =>
  claimOpen(db, values).where('operator_id', '=', values.holderId).returning(stateColumns),
);
const claimForAnyOperator = new PreparedQuery((db, values: ClaimValues) =>
  claimOpen(db, values).returning(stateColumns),
);

/**
 * claimNextSeq for a writer who may write now: the conversation is not closed and, for a visitor, is
 * theirs, or, for an operator's answer, is held by that operator. `undefined`, with nothing written,
 * otherwise (findConversationState then tells why).
 */
export async function claimSeqIfWritable(
  db: Executor,
  where: ClaimValues & { writer: SeqWriter },
): Promise<ConversationState | undefined> {
  const { writer, ...values } = where;
  const row =
    writer === 'any-operator'
      ? await claimForAnyOperator.executeTakeFirst(db, values)
      : 'visitorId' in writer
        ? await claimForVisitor.executeTakeFirst(db, { ...values, visitorId: writer.visitorId })
        : await claimForHolder.executeTakeFirst(db, { ...values, holderId: writer.holderId });
  return row ? stateOf(row) : undefined;
}

/** Gives back the number claimNextSeq took, in the same transaction (which still holds the row lock). */
export async function releaseSeq(db: Executor, where: { accountId: string; conversationId: string }): Promise<void> {
  await db
    .updateTable('conversations')
    .set((eb) => ({ last_seq: eb('last_seq', '-', 1) }))
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .execute();
}

/** The offline message a visitor left with this client message id, as its conversation id. */
export async function findOfflineMessageOfVisitor(
  db: Executor,
  where: { accountId: string; visitorId: string; clientMessageId: string },
): Promise<string | undefined> {
  const row = await db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select('c.id')
    .where('c.account_id', '=', where.accountId)
    .where('c.visitor_id', '=', where.visitorId)
    .where('c.origin', '=', 'offline_message')
    .where('m.client_message_id', '=', where.clientMessageId)
    .executeTakeFirst();
  return row?.id;
}

/**
 * The contact a conversation is linked to and the consent recorded with it, without any sealed field;
 * `undefined` for an unknown id or another account's.
 */
export async function findContactAndConsent(
  db: Executor,
  where: { accountId: string; conversationId: string },
): Promise<{ contactId: string | null; consent: ConsentRecord | null } | undefined> {
  const row = await db
    .selectFrom('conversations')
    .select(['contact_id', 'consent_version', 'consent_at'])
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .executeTakeFirst();
  if (!row) return undefined;
  const consent =
    row.consent_version === null || row.consent_at === null
      ? null
      : { version: row.consent_version, at: row.consent_at };
  return { contactId: row.contact_id, consent };
}

/**
 * Links a conversation to a contact of the same account. Throws ReferenceNotFoundError, writing
 * nothing, when the contact is unknown or another account's; false for an unknown conversation.
 */
export async function setConversationContact(
  db: Executor,
  where: { accountId: string; conversationId: string; contactId: string; now: number },
): Promise<boolean> {
  await assertOwned(db, { table: 'contacts', accountId: where.accountId, id: where.contactId, what: 'contact' });
  const result = await db
    .updateTable('conversations')
    .set({ contact_id: where.contactId, updated_at: where.now })
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Deletes the stored visitor IP addresses of every conversation of the account (sealed address and
 * expiry together, as they are written); answers how many conversations had one.
 */
export async function deleteVisitorIps(db: Executor, where: { accountId: string }): Promise<number> {
  const result = await db
    .updateTable('conversations')
    .set({ visitor_ip_sealed: null, visitor_ip_expires_at: null })
    .where('account_id', '=', where.accountId)
    .where('visitor_ip_expires_at', 'is not', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Keeps the address a visitor gave for their transcript with the conversation, sealed with its key
 * (erased with it, expiring with the transcript). Throws KeyDestroyedError for an erased conversation.
 */
export async function setVisitorEmail(
  store: Store,
  where: { accountId: string; conversationId: string; email: string; now: number },
): Promise<void> {
  const key = await store.keyring.subjectKey(store.db, {
    accountId: where.accountId,
    kind: 'conversation',
    subjectId: where.conversationId,
  });
  await store.db
    .updateTable('conversations')
    .set({
      visitor_email_sealed: sealField(
        key,
        where.email,
        context(where.accountId, where.conversationId, 'visitor_email_sealed'),
      ),
      updated_at: where.now,
    })
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.conversationId)
    .execute();
}
