import {
  deleteContactsLeftWithNothing,
  deleteConversationRows,
  deleteVisitorsLeftWithNothing,
  destroySubjectKeys,
  insertErasureRecords,
  lockConversationsForErasure,
} from '../../storage/erasure-repository.js';
import type { Store } from '../../storage/sealed-store.js';

/** What one erasure transaction removed, counted, with the key ids the keyring's cache must forget. */
export interface ErasedRows {
  /** The conversations erased: those of the batch that still existed in the account. */
  conversationIds: string[];
  messages: number;
  attachments: number;
  /** The contacts erased along: no conversation referenced them any more. */
  contactIds: string[];
  visitors: number;
  keyIds: string[];
}

/**
 * Erases a set of conversations of one account inside the caller's transaction (DESIGN §3: erasure
 * is key destruction plus deletion): their attachments, messages with their search tokens, and rows
 * go, their keys are destroyed, and so are the contacts (rows and keys) and visitors that no
 * conversation references any more. Every erased conversation and contact gets an erasure record.
 * The rollups are not touched: they hold no personal data and outlive the transcripts (P6).
 *
 * The caller writes its audit entry in the same transaction and, after the commit, makes the keyring
 * forget `keyIds` and removes the files (erasure/after-erasure). `contactId` erases only the
 * conversations still linked to that contact; `keepVisitorId` keeps that visitor's row (the visitor
 * who asked: their window is open). Ids unknown in the account, or erased meanwhile, are skipped.
 */
export async function eraseConversationRows(
  tx: Store,
  input: {
    accountId: string;
    conversationIds: readonly string[];
    reason: string;
    now: number;
    contactId?: string;
    keepVisitorId?: string;
  },
): Promise<ErasedRows> {
  const { accountId, reason, now } = input;
  const conversationIds = await lockConversationsForErasure(tx.db, {
    accountId,
    conversationIds: input.conversationIds,
    ...(input.contactId === undefined ? {} : { contactId: input.contactId }),
  });
  if (conversationIds.length === 0) {
    return { conversationIds, messages: 0, attachments: 0, contactIds: [], visitors: 0, keyIds: [] };
  }
  const deleted = await deleteConversationRows(tx.db, { accountId, conversationIds });
  const keyIds = await destroySubjectKeys(tx.db, { accountId, kind: 'conversation', subjectIds: conversationIds, now });
  const contactIds = await deleteContactsLeftWithNothing(tx.db, { accountId, contactIds: deleted.contactIds });
  keyIds.push(...(await destroySubjectKeys(tx.db, { accountId, kind: 'contact', subjectIds: contactIds, now })));
  const visitors = await deleteVisitorsLeftWithNothing(tx.db, {
    accountId,
    visitorIds: deleted.visitorIds,
    ...(input.keepVisitorId === undefined ? {} : { keepVisitorId: input.keepVisitorId }),
  });
  await insertErasureRecords(tx.db, {
    accountId,
    subjectKind: 'conversation',
    subjectIds: conversationIds,
    reason,
    at: now,
  });
  await insertErasureRecords(tx.db, { accountId, subjectKind: 'contact', subjectIds: contactIds, reason, at: now });
  return {
    conversationIds,
    messages: deleted.messages,
    attachments: deleted.attachments,
    contactIds,
    visitors,
    keyIds,
  };
}
