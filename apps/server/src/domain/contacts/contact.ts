import type { ContactDetailDto, ContactSummaryDto } from '@plauder/protocol';
import { z } from 'zod';
import {
  getContact,
  listConversationsOfContact,
  type Contact,
  type ContactPosition,
} from '../../storage/contacts-repository.js';
import type { Store } from '../../storage/sealed-store.js';
import { AppError, notFound } from '../errors.js';

/** A contact as listed. */
export function presentContactSummary(contact: Contact & { conversationCount: number }): ContactSummaryDto {
  return {
    id: contact.id,
    name: contact.name,
    email: contact.email,
    conversationCount: contact.conversationCount,
    createdAt: contact.createdAt,
    updatedAt: contact.updatedAt,
  };
}

/**
 * One contact of the account in full, with its conversations newest first; `not_found` for an unknown
 * id and another account's alike. Read through `store`, so a transaction sees its own changes.
 */
export async function contactDetail(
  store: Store,
  where: { accountId: string; contactId: string },
): Promise<ContactDetailDto> {
  const contact = await getContact(store, where);
  if (!contact) throw notFound('contact', where.contactId);
  const conversations = await listConversationsOfContact(store.db, where);
  return {
    ...presentContactSummary({ ...contact, conversationCount: conversations.length }),
    phone: contact.phone,
    notes: contact.notes,
    conversations,
  };
}

// Epoch milliseconds: zod's int() takes safe integers only (as the column's bigint holds), and no
// contact was created before 1970.
const Position = z.tuple([z.number().int().nonnegative(), z.string().min(1).max(100)]);

/** The opaque cursor that continues a list behind this contact. */
export function encodeCursor(position: ContactPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/** The position a cursor stands for; throws `validation_failed` for one this API did not give. */
export function decodeCursor(cursor: string): ContactPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const position = Position.safeParse(parsed);
  if (!position.success) {
    throw new AppError('validation_failed', 'The cursor is not one this API gave; list again without it', [
      { path: 'querystring.cursor', message: 'not a cursor of this list' },
    ]);
  }
  const [createdAt, id] = position.data;
  return { createdAt, id };
}
