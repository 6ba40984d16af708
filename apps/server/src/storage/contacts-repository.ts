import { randomUUID } from 'node:crypto';
import type { Updateable } from 'kysely';
import { KeyDestroyedError } from '../crypto/errors.js';
import { blindIndex, type DataKey } from '../crypto/seal.js';
import { inTransaction, openField, sealField, type Store } from './sealed-store.js';
import type { ContactRow, ContactsTable, ConversationRow, Executor } from './schema.js';

/** A contact with its personal fields opened. */
export interface Contact {
  id: string;
  accountId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  notes: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The personal fields of a contact, as given by the visitor or an operator. */
export interface ContactFields {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  notes?: string | null;
}

const context = (accountId: string, rowId: string, column: string) => ({ accountId, table: 'contacts', column, rowId });

/** Creates a contact with its own key; every personal field is sealed with that key. */
export function insertContact(
  store: Store,
  input: ContactFields & { accountId: string; now: number },
): Promise<string> {
  return inTransaction(store, async (tx) => {
    const id = randomUUID();
    const key = await tx.keyring.createSubjectKey(tx.db, {
      accountId: input.accountId,
      kind: 'contact',
      subjectId: id,
      now: input.now,
    });
    const indexKey = await tx.keyring.accountIndexKey(tx.db, input.accountId);
    const at = (column: string) => context(input.accountId, id, column);
    await tx.db
      .insertInto('contacts')
      .values({
        id,
        account_id: input.accountId,
        name_sealed: sealField(key, input.name, at('name_sealed')),
        email_sealed: sealField(key, input.email, at('email_sealed')),
        email_index: input.email ? blindIndex(indexKey, input.email) : null,
        phone_sealed: sealField(key, input.phone, at('phone_sealed')),
        notes_sealed: sealField(key, input.notes, at('notes_sealed')),
        created_at: input.now,
        updated_at: input.now,
      })
      .execute();
    return id;
  });
}

/**
 * Changes the given fields of a contact, each sealed anew with the contact's key (and the email's
 * blind index with it); a field left out stays as it is, a null one is cleared. False for an unknown
 * contact, another account's, or an erased one: there is no key to seal with for any of them.
 */
export async function updateContact(
  store: Store,
  input: { accountId: string; contactId: string; fields: ContactFields; now: number },
): Promise<boolean> {
  const { accountId, contactId, fields } = input;
  let key: DataKey;
  try {
    key = await store.keyring.subjectKey(store.db, { accountId, kind: 'contact', subjectId: contactId });
  } catch (error) {
    if (error instanceof KeyDestroyedError) return false;
    throw error;
  }
  const at = (column: string) => context(accountId, contactId, column);
  const changes: Updateable<ContactsTable> = { updated_at: input.now };
  if (fields.name !== undefined) changes.name_sealed = sealField(key, fields.name, at('name_sealed'));
  if (fields.email !== undefined) {
    changes.email_sealed = sealField(key, fields.email, at('email_sealed'));
    const indexKey = await store.keyring.accountIndexKey(store.db, accountId);
    changes.email_index = fields.email ? blindIndex(indexKey, fields.email) : null;
  }
  if (fields.phone !== undefined) changes.phone_sealed = sealField(key, fields.phone, at('phone_sealed'));
  if (fields.notes !== undefined) changes.notes_sealed = sealField(key, fields.notes, at('notes_sealed'));
  const result = await store.db
    .updateTable('contacts')
    .set(changes)
    .where('account_id', '=', accountId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Deletes a contact's row unless a conversation still references it; true when it was deleted. Its
 * key is the caller's to destroy, in the same transaction.
 */
export async function deleteContactIfUnreferenced(
  db: Executor,
  where: { accountId: string; contactId: string },
): Promise<boolean> {
  const result = await db
    .deleteFrom('contacts')
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.contactId)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('conversations').select('id').where('contact_id', '=', where.contactId))),
    )
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** One contact of the account, opened; `undefined` when the id is unknown or another account's. */
export async function getContact(
  store: Store,
  where: { accountId: string; contactId: string },
): Promise<Contact | undefined> {
  const row = await store.db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.contactId)
    .executeTakeFirst();
  return row && openContact(store, row);
}

async function openContact(store: Store, row: ContactRow): Promise<Contact> {
  const at = (column: string) => context(row.account_id, row.id, column);
  return {
    id: row.id,
    accountId: row.account_id,
    name: await openField(store, row.name_sealed, at('name_sealed')),
    email: await openField(store, row.email_sealed, at('email_sealed')),
    phone: await openField(store, row.phone_sealed, at('phone_sealed')),
    notes: await openField(store, row.notes_sealed, at('notes_sealed')),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Where a page of contacts starts: after the contact created at `createdAt` with `id` (newest first). */
export interface ContactPosition {
  createdAt: number;
  id: string;
}

/**
 * A page of the account's contacts, opened, newest first (ties by id), each with how many
 * conversations it has; `after` continues behind a contact of the previous page, `email` keeps the
 * contacts with that email only (through the blind index). Asks for `limit` rows.
 */
export async function listContacts(
  store: Store,
  where: { accountId: string; limit: number; after?: ContactPosition | undefined; email?: string | undefined },
): Promise<(Contact & { conversationCount: number })[]> {
  let query = store.db
    .selectFrom('contacts')
    .selectAll('contacts')
    .select((eb) =>
      eb
        .selectFrom('conversations')
        .select(eb.fn.countAll<number | string>().as('n'))
        .where('conversations.account_id', '=', where.accountId)
        .whereRef('conversations.contact_id', '=', 'contacts.id')
        .as('conversation_count'),
    )
    .where('contacts.account_id', '=', where.accountId);
  if (where.email !== undefined) {
    const indexKey = await store.keyring.accountIndexKey(store.db, where.accountId);
    query = query.where('contacts.email_index', '=', blindIndex(indexKey, where.email));
  }
  const after = where.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('contacts.created_at', '<', after.createdAt),
        eb.and([eb('contacts.created_at', '=', after.createdAt), eb('contacts.id', '<', after.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('contacts.created_at', 'desc')
    .orderBy('contacts.id', 'desc')
    .limit(where.limit)
    .execute();
  const contacts: (Contact & { conversationCount: number })[] = [];
  for (const { conversation_count, ...row } of rows) {
    // PostgreSQL answers count(*) as a bigint string, SQLite as a number.
    contacts.push({ ...(await openContact(store, row)), conversationCount: Number(conversation_count ?? 0) });
  }
  return contacts;
}

/** A conversation of a contact, as the contact's page lists it. */
export interface ContactConversation {
  id: string;
  status: ConversationRow['status'];
  createdAt: number;
  closedAt: number | null;
}

/** The conversations linked to one contact of the account, newest first. */
export async function listConversationsOfContact(
  db: Executor,
  where: { accountId: string; contactId: string },
): Promise<ContactConversation[]> {
  const rows = await db
    .selectFrom('conversations')
    .select(['id', 'status', 'created_at', 'closed_at'])
    .where('account_id', '=', where.accountId)
    .where('contact_id', '=', where.contactId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => ({ id: row.id, status: row.status, createdAt: row.created_at, closedAt: row.closed_at }));
}

/** Whether the account has a contact with this id (another account's does not count). */
export async function contactExists(db: Executor, where: { accountId: string; contactId: string }): Promise<boolean> {
  const row = await db
    .selectFrom('contacts')
    .select('id')
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.contactId)
    .executeTakeFirst();
  return row !== undefined;
}
