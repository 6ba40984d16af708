import type { ExportCounts } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { KeyDestroyedError } from '../../crypto/errors.js';
import { findAccount } from '../../storage/accounts-repository.js';
import { getContact, type Contact } from '../../storage/contacts-repository.js';
import {
  countMessagesForExport,
  listAttachmentsForExport,
  listConversationsForExport,
  type ExportAttachment,
  type ExportConversation,
} from '../../storage/export-repository.js';
import { AppError } from '../errors.js';

/**
 * Whose data an export holds: contacts the account asked for (by id or email: everything, internal
 * notes included), or the visitor of a chat window (their own conversations and linked contacts,
 * without the operators' internal notes).
 */
export type ExportSubject = { kind: 'contacts'; contacts: readonly Contact[] } | { kind: 'visitor'; visitorId: string };

/** A conversation of an export with its files and how many messages it holds. */
export interface PlannedConversation extends ExportConversation {
  attachments: ExportAttachment[];
  messageCount: number;
}

/**
 * What one export holds, fixed when it starts: every conversation's messages up to its `lastSeq`
 * then, so the files listed here and the messages written later agree while the chat goes on.
 */
export interface ExportPlan {
  accountId: string;
  accountName: string;
  exportedAt: number;
  scope: 'contact' | 'visitor';
  /** Whether internal notes (note messages, a contact's notes) are in it. */
  withNotes: boolean;
  contacts: Contact[];
  conversations: PlannedConversation[];
  counts: ExportCounts;
}

/** The name of an account; `not_found` for an unknown id (only the command line can name one). */
export async function accountNameOf(ctx: Context, accountId: string): Promise<string> {
  const account = await findAccount(ctx.database.db, accountId);
  if (!account) throw new AppError('not_found', `No account with id ${accountId}; plauder account list shows them`);
  return account.name;
}

/**
 * Plans the export of a subject of an account: their contacts, their conversations that are not
 * erased, each conversation's files (names opened) and message count. Bodies and file contents are
 * read later, while the archive streams.
 */
export async function planExport(
  ctx: Context,
  input: { accountId: string; subject: ExportSubject },
): Promise<ExportPlan> {
  const { accountId, subject } = input;
  const accountName = await accountNameOf(ctx, accountId);
  const exportedAt = ctx.clock.now();
  const withNotes = subject.kind === 'contacts';
  const conversations = await listConversationsForExport(ctx.store, {
    accountId,
    now: exportedAt,
    ...(subject.kind === 'contacts'
      ? { contactIds: subject.contacts.map((c) => c.id) }
      : { visitorId: subject.visitorId }),
  });
  const contacts =
    subject.kind === 'contacts' ? [...subject.contacts] : await contactsOf(ctx, { accountId, conversations });
  const planned: PlannedConversation[] = [];
  for (const conversation of conversations) {
    const range = { accountId, conversationId: conversation.id, upToSeq: conversation.lastSeq, withNotes };
    planned.push({
      ...conversation,
      attachments: await listAttachmentsForExport(ctx.store, range),
      messageCount: await countMessagesForExport(ctx.database.db, range),
    });
  }
  return {
    accountId,
    accountName,
    exportedAt,
    scope: subject.kind === 'contacts' ? 'contact' : 'visitor',
    withNotes,
    contacts,
    conversations: planned,
    counts: {
      contacts: contacts.length,
      conversations: planned.length,
      messages: planned.reduce((sum, c) => sum + c.messageCount, 0),
      attachments: planned.reduce((sum, c) => sum + c.attachments.length, 0),
    },
  };
}

/** The contacts linked to a visitor's conversations, oldest first; an erased one is left out. */
async function contactsOf(
  ctx: Context,
  input: { accountId: string; conversations: readonly ExportConversation[] },
): Promise<Contact[]> {
  const ids = new Set(input.conversations.flatMap((c) => (c.contactId === null ? [] : [c.contactId])));
  const contacts: Contact[] = [];
  for (const contactId of ids) {
    try {
      const contact = await getContact(ctx.store, { accountId: input.accountId, contactId });
      if (contact) contacts.push(contact);
    } catch (error) {
      if (!(error instanceof KeyDestroyedError)) throw error;
    }
  }
  return contacts.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}
