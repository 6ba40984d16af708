import { assertOwned, ReferenceNotFoundError } from './account-references.js';
import { insertAttachmentRow, type AttachmentRowInput } from './attachments-repository.js';
import {
  claimSeqIfWritable,
  findConversationState,
  markFirstResponse,
  releaseSeq,
} from './conversations-repository.js';
import { findStoredMessageByClientId, insertMessageRow, type StoredMessage } from './messages-repository.js';
import { bucketOf, FIRST_RESPONSE_HISTOGRAM } from './rollup-histograms.js';
import { RollupTally } from './rollups-repository.js';
import type { Executor } from './schema.js';
import { SearchTokenBatch } from './search-repository.js';

/**
 * A message ready to be stored: its id chosen and its body (and its file's name) sealed with the
 * conversation key, so that storing it needs the database and nothing else. Plain data, so it can be
 * posted to the SQLite writer thread (sqlite-writer.ts); no key goes with it.
 */
export interface MessageToAppend {
  accountId: string;
  conversationId: string;
  clientMessageId: string;
  author: { kind: 'visitor'; visitorId: string } | { kind: 'operator'; operatorId: string };
  kind: 'text' | 'note';
  messageId: string;
  /** The body sealed with the key of this account's conversation, bound to `messageId` (sealMessageBody). */
  bodySealed: Uint8Array;
  now: number;
  /** Its file's row, the name sealed. */
  attachment?: Omit<AttachmentRowInput, 'file_name_sealed'> & { file_name_sealed: Uint8Array };
  /**
   * The words of its body (for a file, its name) as search tokens, hashed while the body was still
   * plain (messageSearchTokens): SEARCH_TOKEN_BYTES each, concatenated, distinct. Stored with the
   * message, and its conversation's index gets the words it did not have.
   */
  searchTokens?: Uint8Array;
}

/**
 * What became of a message: stored under `seq`, or stored before by an earlier send of the same client
 * id (`duplicate`, that message's id and seq, and the message as stored, to be announced again; such a
 * resend to a conversation it may still write to leaves the conversation's `updated_at` moved), or
 * refused, with nothing written:
 * - `unknown_conversation`: unknown, another account's, or (for a visitor) another visitor's;
 * - `unknown_operator`: the author is no operator of the account;
 * - `closed`: the conversation is closed;
 * - `not_assigned`: an operator answers a conversation someone else has (notes need no assignment).
 */
export type AppendOutcome =
  | { status: 'stored'; messageId: string; seq: number }
  | { status: 'duplicate'; messageId: string; seq: number; stored: StoredMessage }
  | { status: 'unknown_conversation' | 'unknown_operator' | 'closed' | 'not_assigned' };

/**
 * Appends a sealed message to its conversation in the caller's write transaction: under the next seq,
 * with its attachment row and its search tokens, and counted in the rollups (with an operator's first
 * answer and its delay). The conversation row stays locked until the transaction ends, so the state
 * it was checked against holds until the commit.
 */
export async function appendMessage(db: Executor, message: MessageToAppend): Promise<AppendOutcome> {
  const [outcome] = await appendMessages(db, [message]);
  if (!outcome) throw new Error('appendMessages answered no outcome');
  return outcome;
}

/**
 * appendMessage for several messages in one transaction, one outcome each, in their order. Their rollup
 * increments are summed and written once at the end: a group commit's messages add to the same few
 * rows; their search tokens go in a few multi-row inserts at the end too (SearchTokenBatch). A message
 * that throws leaves the transaction to be rolled back, its rollups and tokens with it.
 *
 * The messages are stored conversation by conversation (in id order, each conversation's in the
 * order given), and the rollup rows are written in key order: concurrent batches (PostgreSQL) then
 * take their row locks in one order and cannot deadlock one another.
 */
export async function appendMessages(db: Executor, messages: readonly MessageToAppend[]): Promise<AppendOutcome[]> {
  const rollups = new RollupTally();
  const searchTokens = new SearchTokenBatch();
  const order = messages.map((_, index) => index);
  // Stable: a conversation's messages keep the order they were sent in.
  order.sort((a, b) =>
    compareIds((messages[a] as MessageToAppend).conversationId, (messages[b] as MessageToAppend).conversationId),
  );
  const outcomes: AppendOutcome[] = new Array<AppendOutcome>(messages.length);
  for (const index of order) {
    outcomes[index] = await appendOne(db, messages[index] as MessageToAppend, { rollups, searchTokens });
  }
  await searchTokens.write(db);
  await rollups.write(db);
  return outcomes;
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function appendOne(
  db: Executor,
  message: MessageToAppend,
  { rollups, searchTokens }: { rollups: RollupTally; searchTokens: SearchTokenBatch },
): Promise<AppendOutcome> {
  const { accountId, conversationId, author, kind, now } = message;
  const where = { accountId, conversationId, clientMessageId: message.clientMessageId };
  const operatorId = author.kind === 'operator' ? author.operatorId : null;
  try {
    await assertOwned(db, { table: 'operators', accountId, id: operatorId, what: 'operator' });
  } catch (error) {
    if (error instanceof ReferenceNotFoundError) return { status: 'unknown_operator' };
    throw error;
  }
  // Takes the next seq and the row lock in one statement, if this author may write now; a resend
  // that stores nothing gives it back.
  const conversation = await claimSeqIfWritable(db, {
    ...where,
    now,
    writer:
      author.kind === 'visitor'
        ? { visitorId: author.visitorId }
        : kind === 'text'
          ? { holderId: author.operatorId }
          : 'any-operator',
  });
  if (!conversation) return refused(db, message);
  const inserted = await insertMessageRow(db, {
    id: message.messageId,
    account_id: accountId,
    conversation_id: conversationId,
    seq: conversation.lastSeq,
    client_message_id: message.clientMessageId,
    author_kind: author.kind,
    operator_id: operatorId,
    kind,
    body_sealed: asBuffer(message.bodySealed),
    created_at: now,
    search_tokens: message.searchTokens ? asBuffer(message.searchTokens) : null,
  });
  if (!inserted) {
    // A resend of a message stored before: its ack again.
    await releaseSeq(db, where);
    const stored = await findStoredMessageByClientId(db, where);
    if (stored) return { status: 'duplicate', messageId: stored.id, seq: stored.seq, stored };
    throw new Error(`Message ${message.clientMessageId} conflicted but cannot be found`);
  }
  if (message.attachment) {
    const { attachment } = message;
    await insertAttachmentRow(db, { ...attachment, file_name_sealed: asBuffer(attachment.file_name_sealed) });
  }
  if (message.searchTokens) {
    searchTokens.add({ conversationId, tokens: message.searchTokens });
  }
  const increments: Record<string, number> = { [`messages.${author.kind}`]: 1 };
  // The row lock makes firstResponseAt current: only the first answer marks it.
  if (author.kind === 'operator' && kind === 'text' && conversation.firstResponseAt === null) {
    if (await markFirstResponse(db, { accountId, conversationId, at: now })) {
      const waitedMs = now - conversation.createdAt;
      increments['first_response.count'] = 1;
      increments['first_response.total_ms'] = waitedMs;
      increments[FIRST_RESPONSE_HISTOGRAM.metric(bucketOf(FIRST_RESPONSE_HISTOGRAM, waitedMs))] = 1;
    }
  }
  rollups.add({ accountId, at: now, widgetId: conversation.widgetId, operatorId, increments });
  return { status: 'stored', messageId: message.messageId, seq: conversation.lastSeq };
}

/**
 * Why a message could take no seq, having written nothing: the conversation is unknown to this
 * author, or it was stored before (perhaps before the close, or while its author still held the
 * conversation: its ack again), or it is closed, or held by someone else.
 */
async function refused(db: Executor, message: MessageToAppend): Promise<AppendOutcome> {
  const { accountId, conversationId, author } = message;
  const state = await findConversationState(db, { accountId, conversationId });
  if (!state || (author.kind === 'visitor' && state.visitorId !== author.visitorId)) {
    return { status: 'unknown_conversation' };
  }
  const stored = await findStoredMessageByClientId(db, {
    accountId,
    conversationId,
    clientMessageId: message.clientMessageId,
  });
  if (stored) return { status: 'duplicate', messageId: stored.id, seq: stored.seq, stored };
  return { status: state.status === 'closed' ? 'closed' : 'not_assigned' };
}

/** Bytes as a Buffer, without a copy: posted to another thread, a Buffer arrives as a plain Uint8Array. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
