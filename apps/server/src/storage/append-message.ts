import type { DataKey } from '../crypto/seal.js';
import { assertOwned, ReferenceNotFoundError } from './account-references.js';
import { insertAttachmentRow, type AttachmentRowInput } from './attachments-repository.js';
import { claimNextSeq, markFirstResponse, releaseSeq } from './conversations-repository.js';
import { findMessageByClientId, insertMessageRow, sealMessageBody } from './messages-repository.js';
import { addToRollups } from './rollups-repository.js';
import type { Executor } from './schema.js';

/**
 * A message ready to be stored: its id chosen and the conversation key at hand (with its file's name
 * already sealed with it), so that storing it needs the database and nothing else. Plain data, so it
 * can be posted to the SQLite writer thread (sqlite-writer.ts), which then also does the sealing.
 */
export interface MessageToAppend {
  accountId: string;
  conversationId: string;
  clientMessageId: string;
  author: { kind: 'visitor'; visitorId: string } | { kind: 'operator'; operatorId: string };
  kind: 'text' | 'note';
  messageId: string;
  body: string;
  /** The conversation key, which the caller had handed out for this account's conversation. */
  key: DataKey;
  now: number;
  attachment?: AttachmentRowInput;
}

/**
 * What became of a message: stored under `seq`, or stored before by an earlier send of the same client
 * id (`duplicate`, that message's id and seq), or refused, with nothing written:
 * - `unknown_conversation`: unknown, another account's, or (for a visitor) another visitor's;
 * - `unknown_operator`: the author is no operator of the account;
 * - `closed`: the conversation is closed;
 * - `not_assigned`: an operator answers a conversation someone else has (notes need no assignment).
 */
export type AppendOutcome =
  | { status: 'stored'; messageId: string; seq: number; bodySealed: Uint8Array }
  | { status: 'duplicate'; messageId: string; seq: number }
  | { status: 'unknown_conversation' | 'unknown_operator' | 'closed' | 'not_assigned' };

/**
 * Seals a message and appends it to its conversation in the caller's write transaction: under the next seq,
 * with its attachment row, and counted in the rollups (with an operator's first answer and its delay).
 * The conversation row stays locked until the transaction ends, so the state it was checked against
 * holds until the commit.
 */
export async function appendMessage(db: Executor, message: MessageToAppend): Promise<AppendOutcome> {
  const { accountId, conversationId, author, kind, now } = message;
  const where = { accountId, conversationId, clientMessageId: message.clientMessageId };
  const operatorId = author.kind === 'operator' ? author.operatorId : null;
  try {
    await assertOwned(db, { table: 'operators', accountId, id: operatorId, what: 'operator' });
  } catch (error) {
    if (error instanceof ReferenceNotFoundError) return { status: 'unknown_operator' };
    throw error;
  }
  // Takes the next seq and the row lock in one statement; a send that stores nothing gives it back.
  const conversation = await claimNextSeq(db, { ...where, now });
  if (!conversation) return { status: 'unknown_conversation' };
  if (author.kind === 'visitor' && conversation.visitorId !== author.visitorId) {
    await releaseSeq(db, where);
    return { status: 'unknown_conversation' };
  }
  const bodySealed = sealMessageBody({ id: message.key.id, key: asBuffer(message.key.key) }, message.body, {
    accountId,
    messageId: message.messageId,
  });
  const refusal =
    conversation.status === 'closed'
      ? 'closed'
      : author.kind === 'operator' && kind === 'text' && conversation.operatorId !== author.operatorId
        ? 'not_assigned'
        : undefined;
  const inserted =
    refusal === undefined &&
    (await insertMessageRow(db, {
      id: message.messageId,
      account_id: accountId,
      conversation_id: conversationId,
      seq: conversation.lastSeq,
      client_message_id: message.clientMessageId,
      author_kind: author.kind,
      operator_id: operatorId,
      kind,
      body_sealed: bodySealed,
      created_at: now,
    }));
  if (!inserted) {
    await releaseSeq(db, where);
    // A resend of a message stored before (perhaps before the refusal: before the close, or while its
    // author still held the conversation) gets that message's ack; a new one gets the refusal.
    const stored = await findMessageByClientId(db, where);
    if (stored) return { status: 'duplicate', messageId: stored.id, seq: stored.seq };
    if (refusal) return { status: refusal };
    throw new Error(`Message ${message.clientMessageId} conflicted but cannot be found`);
  }
  if (message.attachment) {
    const { attachment } = message;
    await insertAttachmentRow(db, { ...attachment, file_name_sealed: asBuffer(attachment.file_name_sealed) });
  }
  const increments: Record<string, number> = { [`messages.${author.kind}`]: 1 };
  // The row lock makes firstResponseAt current: only the first answer marks it.
  if (author.kind === 'operator' && kind === 'text' && conversation.firstResponseAt === null) {
    if (await markFirstResponse(db, { accountId, conversationId, at: now })) {
      increments['first_response.count'] = 1;
      increments['first_response.total_ms'] = now - conversation.createdAt;
    }
  }
  await addToRollups(db, { accountId, at: now, widgetId: conversation.widgetId, operatorId, increments });
  return { status: 'stored', messageId: message.messageId, seq: conversation.lastSeq, bodySealed };
}

/** Bytes as a Buffer: posted to another thread, a Buffer arrives as a plain Uint8Array. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
