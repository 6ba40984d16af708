import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { lockConversation } from '../../storage/conversations-repository.js';
import { scrubAfterErasure } from '../../storage/database.js';
import { insertErasureRecord } from '../../storage/erasure-records-repository.js';
import { deleteMessageRow } from '../../storage/erasure-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { announce } from './announce.js';
import { erasureReason } from './erase-conversation.js';
import { conversationChannel, type ConversationEvent } from './events.js';

/**
 * Deletes one message of a conversation (P4), at the request of an admin or owner of its account (or
 * an API token acting as admin). In one transaction its row goes (its search tokens by cascade), with
 * its attachments' rows, an erasure record (ids and time) and an audit entry `message.deleted`; its
 * files leave the file store after the commit, and on SQLite the WAL is checkpointed so its old page
 * images go too. The conversation's key stays: it still seals the rest of the conversation, so a
 * backup taken before keeps the sealed message until a restore replays the erasure record. The
 * rollups stay as they were. Consoles following the conversation hear `message.deleted`. An unknown
 * message id, one of another conversation and one of another account answer `not_found`; an
 * operator below admin gets `forbidden`.
 */
export async function deleteMessage(
  ctx: Context,
  input: { by: Principal; conversationId: string; messageId: string },
): Promise<void> {
  const { by, conversationId, messageId } = input;
  requireRole(by, 'admin');
  const { accountId } = by;
  const now = ctx.clock.now();
  const deleted = await inTransaction(ctx.store, async (tx) => {
    // Locked, so a send to the conversation and this deletion never interleave.
    if (!(await lockConversation(tx.db, { accountId, conversationId }))) throw notFound('message', messageId);
    const row = await deleteMessageRow(tx.db, { accountId, conversationId, messageId });
    if (!row) throw notFound('message', messageId);
    await insertErasureRecord(tx.db, {
      accountId,
      subjectKind: 'message',
      subjectId: messageId,
      reason: erasureReason(by),
      at: now,
    });
    await insertAuditEntry(tx.db, {
      accountId,
      ...actorOf(by),
      action: 'message.deleted',
      targetKind: 'message',
      targetIds: [messageId, conversationId],
      count: 1,
      at: now,
    });
    return row;
  });
  const event: ConversationEvent = { type: 'message.deleted', accountId, conversationId, messageId, seq: deleted.seq };
  announce(ctx, conversationChannel(conversationId), event);
  await afterDeletion(ctx, { storageKeys: deleted.storageKeys });
}

/**
 * Removes what the transaction cannot: the message's files and, on SQLite, the old page images in the
 * WAL. The deletion has committed by then, so a failure is logged, not answered.
 */
async function afterDeletion(ctx: Context, input: { storageKeys: readonly string[] }): Promise<void> {
  for (const key of input.storageKeys) {
    try {
      await ctx.fileStore.delete(key);
    } catch (error) {
      ctx.logger.error({ err: error }, 'Could not delete the file of a deleted message');
    }
  }
  try {
    await scrubAfterErasure(ctx.database);
  } catch (error) {
    ctx.logger.error({ err: error }, 'Could not checkpoint the WAL after a message deletion');
  }
}
