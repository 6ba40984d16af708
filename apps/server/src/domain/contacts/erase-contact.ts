import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { contactExists, deleteContactIfUnreferenced } from '../../storage/contacts-repository.js';
import { listConversationsOfContactToErase } from '../../storage/erasure-repository.js';
import { insertErasureRecord } from '../../storage/erasure-records-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { closerOf, erasureReason } from '../conversations/erase-conversation.js';
import { scrubErasedPages } from '../erasure/after-erasure.js';
import { splitIntoBatches } from '../erasure/batches.js';
import { eraseConversations } from '../erasure/erase-conversations.js';
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
 * Erases a contact and everything of theirs (admin and up): their conversations go in batches of
 * bounded size through eraseConversations (each conversation in one transaction); those still open are closed first
 * as its admin, as any close is (the rollups count it). In a last transaction the contact's key is
 * destroyed and its row deleted (unless its last conversation took it along). Every subject gets an
 * erasure record; one audit entry `contact.erased` names the contact and then its conversations, and
 * counts their messages. Those closes aside, the rollups stay as they were. `not_found` for an unknown
 * id or another account's.
 */
export async function eraseContact(ctx: Context, input: { by: Principal; contactId: string }): Promise<ErasedContact> {
  const { by, contactId } = input;
  requireRole(by, 'admin');
  const { accountId } = by;
  const where = { accountId, contactId };
  if (!(await contactExists(ctx.database.db, where))) throw notFound('contact', contactId);
  const reason = erasureReason(by);
  const erased: ErasedContact = { conversations: 0, messages: 0, attachments: 0 };
  const conversationIds: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const batch of splitIntoBatches(await listConversationsOfContactToErase(ctx.database.db, where))) {
      const rows = await eraseConversations(ctx, {
        accountId,
        conversationIds: batch.map((c) => c.id),
        // Only those still linked to this contact: one linked to another contact meanwhile is not theirs any more.
        contactId,
        reason,
        // One entry for the whole contact, written below.
        audit: null,
        end: { by: closerOf(by), counted: true },
        scrub: false,
      });
      erased.conversations += rows.conversations;
      erased.messages += rows.messages;
      erased.attachments += rows.attachments;
      // In the order listed (newest first), as the audit entry names them.
      conversationIds.push(...rows.conversationIds);
    }
    const now = ctx.clock.now();
    const keyIds = await inTransaction(ctx.store, async (tx) => {
      const keyIds: string[] = [];
      if (await deleteContactIfUnreferenced(tx.db, where)) {
        keyIds.push(
          ...(await tx.keyring.destroySubjectKey(tx.db, { ...where, kind: 'contact', subjectId: contactId, now })),
        );
        await insertErasureRecord(tx.db, { accountId, subjectKind: 'contact', subjectId: contactId, reason, at: now });
      } else if (await contactExists(tx.db, where)) {
        // A conversation was linked to the contact meanwhile: the next round erases it.
        return undefined;
      }
      // Otherwise the erasure of its last conversation (a batch above, or its visitor's) took it along, recorded.
      await insertAuditEntry(tx.db, {
        accountId,
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
