import type { Context } from '../../context.js';
import { conversationFilesPrefix, deleteAttachmentsOfConversation } from '../../storage/attachments-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { deleteContactIfUnreferenced } from '../../storage/contacts-repository.js';
import {
  deleteConversationRow,
  findConversationState,
  lockConversation,
} from '../../storage/conversations-repository.js';
import { scrubAfterErasure } from '../../storage/database.js';
import { insertErasureRecord } from '../../storage/erasure-records-repository.js';
import { deleteMessagesOfConversation } from '../../storage/messages-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
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
 * any close is (operators see it leave the inbox, the rollups count it). Then, in one transaction, its
 * key is destroyed, its attachments, messages (with their search tokens) and row are deleted, and so
 * is its contact when no other conversation references it (that key destroyed too); an erasure record
 * per subject and an audit entry keep the ids, never content. Its files leave the file store after the
 * commit. The rollups stay as they were. An unknown id, another visitor's, another account's and one
 * erased already answer `not_found`; an operator below admin gets `forbidden`.
 *
 * `forContact` is set by eraseContact, which erases a contact's conversations one by one: the
 * conversation must be that contact's, and the contact and the one audit entry are left to it.
 */
export async function eraseConversation(
  ctx: Context,
  input: { conversationId: string; by: Eraser; forContact?: string },
): Promise<ErasedConversation> {
  const { by, conversationId, forContact } = input;
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
    // Attachments reference messages and both reference the conversation: deleted in that order.
    const attachments = await deleteAttachmentsOfConversation(tx.db, where);
    const messages = await deleteMessagesOfConversation(tx.db, where);
    const row = await deleteConversationRow(tx.db, where);
    if (forContact !== undefined && row?.contactId !== forContact) throw notFound('conversation', conversationId);
    const keyIds = await tx.keyring.destroySubjectKey(tx.db, {
      accountId,
      kind: 'conversation',
      subjectId: conversationId,
      now,
    });
    await insertErasureRecord(tx.db, {
      accountId,
      subjectKind: 'conversation',
      subjectId: conversationId,
      reason: erasureReason(by),
      at: now,
    });
    if (forContact !== undefined) return { keyIds, messages, attachments, contactId: null };
    let contactId: string | null = null;
    if (row?.contactId && (await deleteContactIfUnreferenced(tx.db, { accountId, contactId: row.contactId }))) {
      contactId = row.contactId;
      keyIds.push(
        ...(await tx.keyring.destroySubjectKey(tx.db, { accountId, kind: 'contact', subjectId: contactId, now })),
      );
      await insertErasureRecord(tx.db, {
        accountId,
        subjectKind: 'contact',
        subjectId: contactId,
        reason: erasureReason(by),
        at: now,
      });
    }
    await insertAuditEntry(tx.db, {
      accountId,
      ...(by.kind === 'visitor' ? { actorKind: 'visitor', actorId: by.visitorId } : actorOf(by)),
      action: 'conversation.erased',
      targetKind: 'conversation',
      targetIds: contactId ? [conversationId, contactId] : [conversationId],
      count: messages,
      at: now,
    });
    return { keyIds, messages, attachments, contactId };
  });
  // A reader may have cached a key from a snapshot taken before the commit.
  ctx.keyring.forget(erased.keyIds);
  await afterErasure(ctx, where);
  return { messages: erased.messages, attachments: erased.attachments, contactId: erased.contactId };
}

/** Who closes a conversation before it is erased: a token's erasure closes as the system. */
function closerOf(by: Eraser): Closer {
  switch (by.kind) {
    case 'visitor':
      return by;
    case 'operator':
      return { kind: 'operator', accountId: by.accountId, operatorId: by.operatorId };
    case 'api_token':
      return { kind: 'system', accountId: by.accountId };
  }
}

/**
 * Removes what the database transaction cannot: the conversation's files (by prefix, so a file stored
 * by an upload that never committed goes too) and, on SQLite, the old page images in the WAL. The
 * erasure has committed by then, so a failure is logged, not answered: the files are sealed with the
 * destroyed key and unreadable either way.
 */
async function afterErasure(ctx: Context, where: { accountId: string; conversationId: string }): Promise<void> {
  try {
    await ctx.fileStore.deletePrefix(conversationFilesPrefix(where));
  } catch (error) {
    ctx.logger.error({ err: error, ...where }, 'Could not delete the files of an erased conversation');
  }
  try {
    await scrubAfterErasure(ctx.database);
  } catch (error) {
    ctx.logger.error({ err: error }, 'Could not checkpoint the WAL after an erasure');
  }
}
