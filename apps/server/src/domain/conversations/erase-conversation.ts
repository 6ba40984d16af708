import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { findConversationState, lockConversation } from '../../storage/conversations-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { removeConversationFiles, scrubErasedPages } from '../erasure/after-erasure.js';
import { eraseConversationRows } from '../../storage/erase-conversation-rows.js';
import { notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { closeConversation, type Closer } from './close-conversation.js';

/**
 * Who erases a conversation: its own visitor ("delete this conversation" in the chat window), or an
 * admin or owner of its account (or an API token acting as admin), for any of the account's.
 */
export type Eraser = { kind: 'visitor'; accountId: string; visitorId: string } | Principal;

/** What an erasure removed, counted. */
export interface ErasedConversation {
  messages: number;
  attachments: number;
  /** The contact erased with the conversation: it was linked to no other one. */
  contactId: string | null;
}

const reasons: Record<Eraser['kind'], string> = {
  visitor: 'visitor request',
  operator: 'operator request',
  api_token: 'API request',
};

/** The reason an erasure record gives, by who asked for the erasure. */
export function erasureReason(by: Eraser): string {
  return reasons[by.kind];
}

/**
 * Erases a conversation at its visitor's request or an admin's. One still open is closed first, as
 * any close is (operators see it leave the inbox, the rollups count it). Then, in one transaction,
 * eraseConversationRows destroys its key and deletes its attachments, messages (with their search
 * tokens) and row, and its contact and visitor when nothing else references them (the visitor who
 * asks keeps their row: their window is open); an erasure record per subject and an audit entry keep
 * the ids, never content. Its files leave the file store after the commit. The rollups stay as they
 * were. An unknown id, another visitor's, another account's and one erased already answer
 * `not_found`; an operator below admin gets `forbidden`.
 */
export async function eraseConversation(
  ctx: Context,
  input: { conversationId: string; by: Eraser },
): Promise<ErasedConversation> {
  const { by, conversationId } = input;
  if (by.kind !== 'visitor') requireRole(by, 'admin');
  const { accountId } = by;
  const where = { accountId, conversationId };
  const mayErase = (state: { visitorId: string | null } | undefined) =>
    state !== undefined && (by.kind !== 'visitor' || state.visitorId === by.visitorId);
  const state = await findConversationState(ctx.database.db, where);
  if (!mayErase(state)) throw notFound('conversation', conversationId);
  if (state?.status !== 'closed') await closeConversation(ctx, { by: closerOf(by), conversationId });

  const now = ctx.clock.now();
  const erased = await inTransaction(ctx.store, async (tx) => {
    const locked = await lockConversation(tx.db, where);
    // Checked again under the lock: of two erasures at once, the second finds nothing.
    if (!mayErase(locked)) throw notFound('conversation', conversationId);
    const rows = await eraseConversationRows(tx.db, {
      accountId,
      conversationIds: [conversationId],
      reason: erasureReason(by),
      now,
      ...(by.kind === 'visitor' ? { keepVisitorId: by.visitorId } : {}),
    });
    const contactId = rows.contactIds[0] ?? null;
    await insertAuditEntry(tx.db, {
      accountId,
      ...(by.kind === 'visitor' ? { actorKind: 'visitor', actorId: by.visitorId } : actorOf(by)),
      action: 'conversation.erased',
      targetKind: 'conversation',
      targetIds: contactId ? [conversationId, contactId] : [conversationId],
      count: rows.messages,
      at: now,
    });
    return { keyIds: rows.keyIds, messages: rows.messages, attachments: rows.attachments, contactId };
  });
  // A reader may have cached a key from a snapshot taken before the commit.
  ctx.keyring.forget(erased.keyIds);
  await removeConversationFiles(ctx, { accountId, conversationIds: [conversationId] });
  await scrubErasedPages(ctx);
  return { messages: erased.messages, attachments: erased.attachments, contactId: erased.contactId };
}

/** Who closes a conversation before it is erased at someone's request: a token's erasure closes as the system. */
export function closerOf(by: Eraser): Closer {
  switch (by.kind) {
    case 'visitor':
      return by;
    case 'operator':
      return { kind: 'operator', accountId: by.accountId, operatorId: by.operatorId };
    case 'api_token':
      return { kind: 'system', accountId: by.accountId };
  }
}
