import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import {
  contactExists,
  deleteContactIfUnreferenced,
  listConversationsOfContact,
} from '../../storage/contacts-repository.js';
import { scrubAfterErasure } from '../../storage/database.js';
import { insertErasureRecord } from '../../storage/erasure-records-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { eraseConversation, erasureReason } from '../conversations/erase-conversation.js';
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
 * Erases a contact and everything of theirs (admin and up): each of their conversations as
 * eraseConversation erases one (an open one is closed first, as any close is), then in one
 * transaction the contact's key is destroyed and its row deleted. Every subject gets an erasure
 * record; one audit entry `contact.erased` names the contact and then its conversations, and counts
 * their messages. The rollups stay as they were. `not_found` for an unknown id or another account's.
 */
export async function eraseContact(ctx: Context, input: { by: Principal; contactId: string }): Promise<ErasedContact> {
  const { by, contactId } = input;
  requireRole(by, 'admin');
  const where = { accountId: by.accountId, contactId };
  if (!(await contactExists(ctx.database.db, where))) throw notFound('contact', contactId);
  const erased: ErasedContact = { conversations: 0, messages: 0, attachments: 0 };
  const conversationIds: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const { id } of await listConversationsOfContact(ctx.database.db, where)) {
      try {
        const counts = await eraseConversation(ctx, { conversationId: id, by, forContact: contactId });
        erased.conversations += 1;
        erased.messages += counts.messages;
        erased.attachments += counts.attachments;
        conversationIds.push(id);
      } catch (error) {
        // Erased meanwhile by its visitor, or linked to another contact: not this contact's any more.
        if (!(error instanceof AppError && error.code === 'not_found')) throw error;
      }
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
      // Otherwise the erasure of its last conversation by its visitor took the contact along, recorded.
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
      await scrub(ctx);
      return erased;
    }
  }
  throw new AppError('conflict', 'Conversations kept being linked to this contact while it was erased; try again');
}

/** Checkpoints SQLite's WAL, so the contact's old page images go too; logged, not answered, on failure. */
async function scrub(ctx: Context): Promise<void> {
  try {
    await scrubAfterErasure(ctx.database);
  } catch (error) {
    ctx.logger.error({ err: error }, 'Could not checkpoint the WAL after an erasure');
  }
}
