import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { contactExists, deleteContactIfUnreferenced } from '../../storage/contacts-repository.js';
import { listConversationsOfContactToErase } from '../../storage/erasure-repository.js';
import { insertErasureRecord } from '../../storage/erasure-records-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { closeConversation, type Closer } from '../conversations/close-conversation.js';
import { erasureReason } from '../conversations/erase-conversation.js';
import { removeConversationFiles, scrubErasedPages } from '../erasure/after-erasure.js';
import { splitIntoBatches } from '../erasure/batches.js';
import { eraseConversationRows } from '../erasure/erase-conversation-rows.js';
import { AppError, notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';

/** What erasing a contact removed, counted. */
export interface ErasedContact {
  conversations: number;
  messages: number;
  attachments: number;
}

/** How often the contact's conversations are listed and erased before giving up on new ones. */
const MAX_ROUNDS = 3;

/**
 * Erases a contact and everything of theirs (admin and up): their conversations still open are closed
 * first, as any close is; then the conversations are erased in batches of bounded size
 * (eraseConversationRows, one transaction each), and in a last transaction the contact's key is
 * destroyed and its row deleted (unless its last conversation took it along). Every subject gets an
 * erasure record; one audit entry `contact.erased` names the contact and then its conversations, and
 * counts their messages. The rollups stay as they were. `not_found` for an unknown id or another
 * account's.
 */
export async function eraseContact(ctx: Context, input: { by: Principal; contactId: string }): Promise<ErasedContact> {
  const { by, contactId } = input;
  requireRole(by, 'admin');
  const where = { accountId: by.accountId, contactId };
  if (!(await contactExists(ctx.database.db, where))) throw notFound('contact', contactId);
  const erased: ErasedContact = { conversations: 0, messages: 0, attachments: 0 };
  const conversationIds: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const conversations = await listConversationsOfContactToErase(ctx.database.db, where);
    for (const conversation of conversations) {
      if (conversation.status !== 'closed') await closeQuietly(ctx, { by, conversationId: conversation.id });
    }
    for (const batch of splitIntoBatches(conversations)) {
      const now = ctx.clock.now();
      const rows = await inTransaction(ctx.store, (tx) =>
        // `contactId` (in where): only those still linked to this contact; one linked to another
        // contact meanwhile is not theirs any more.
        eraseConversationRows(tx, {
          ...where,
          conversationIds: batch.map((c) => c.id),
          reason: erasureReason(by),
          now,
        }),
      );
      // A reader may have cached a key from a snapshot taken before the commit.
      ctx.keyring.forget(rows.keyIds);
      await removeConversationFiles(ctx, { accountId: by.accountId, conversationIds: rows.conversationIds });
      erased.conversations += rows.conversationIds.length;
      erased.messages += rows.messages;
      erased.attachments += rows.attachments;
      const erasedNow = new Set(rows.conversationIds);
      // In the order listed (newest first), as the audit entry names them.
      conversationIds.push(...batch.map((c) => c.id).filter((id) => erasedNow.has(id)));
    }
    const now = ctx.clock.now();
    const keyIds = await inTransaction(ctx.store, async (tx) => {
      const keyIds: string[] = [];
      if (await deleteContactIfUnreferenced(tx.db, where)) {
        keyIds.push(
          ...(await tx.keyring.destroySubjectKey(tx.db, { ...where, kind: 'contact', subjectId: contactId, now })),
        );
        await insertErasureRecord(tx.db, {
          accountId: by.accountId,
          subjectKind: 'contact',
          subjectId: contactId,
          reason: erasureReason(by),
          at: now,
        });
      } else if (await contactExists(tx.db, where)) {
        // A conversation was linked to the contact meanwhile: the next round erases it.
        return undefined;
      }
      // Otherwise the erasure of its last conversation (a batch above, or its visitor's) took it along, recorded.
      await insertAuditEntry(tx.db, {
        accountId: by.accountId,
        ...actorOf(by),
        action: 'contact.erased',
        targetKind: 'contact',
        targetIds: [contactId, ...conversationIds],
        count: erased.messages,
        at: now,
      });
      return keyIds;
    });
    if (keyIds) {
      // A reader may have cached the key from a snapshot taken before the commit.
      ctx.keyring.forget(keyIds);
      await scrubErasedPages(ctx);
      return erased;
    }
  }
  throw new AppError('conflict', 'Conversations kept being linked to this contact while it was erased; try again');
}

/** Closes a conversation before its erasure, as its admin (a token's as the system); one gone meanwhile is skipped. */
async function closeQuietly(ctx: Context, input: { by: Principal; conversationId: string }): Promise<void> {
  const { by, conversationId } = input;
  const closer: Closer =
    by.kind === 'operator'
      ? { kind: 'operator', accountId: by.accountId, operatorId: by.operatorId }
      : { kind: 'system', accountId: by.accountId };
  try {
    await closeConversation(ctx, { by: closer, conversationId });
  } catch (error) {
    // Erased meanwhile by its visitor: the batch skips it.
    if (!(error instanceof AppError && error.code === 'not_found')) throw error;
  }
}
