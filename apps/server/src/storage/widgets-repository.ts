import { randomBytes, randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { assertOwned } from './account-references.js';
import type { DialectName } from './database.js';
import type { Executor, WidgetsTable } from './schema.js';

/** A widget as stored; `settings` is the account's non-personal JSON configuration. */
export interface Widget {
  id: string;
  accountId: string;
  publicKey: string;
  name: string;
  settings: Record<string, unknown>;
  createdAt: number;
}

/** Creates a widget with a fresh random public key (`pk_` + 22 characters). */
export async function insertWidget(
  db: Executor,
  input: { accountId: string; name: string; settings?: Record<string, unknown>; now: number },
): Promise<Widget> {
  const widget = {
    id: randomUUID(),
    accountId: input.accountId,
    publicKey: `pk_${randomBytes(16).toString('base64url')}`,
    name: input.name,
    settings: input.settings ?? {},
    createdAt: input.now,
  };
  await db
    .insertInto('widgets')
    .values({
      id: widget.id,
      account_id: widget.accountId,
      public_key: widget.publicKey,
      name: widget.name,
      settings: JSON.stringify(widget.settings),
      created_at: input.now,
      updated_at: input.now,
    })
    .execute();
  return widget;
}

/**
 * The widgets of one account with their change times, oldest first. Like every read here but those
 * of the deletion itself (findWidgetBeingDeleted, removeDeletedWidget), it leaves out a widget whose
 * deletion was asked for: it is gone for everyone from then on, though its row stays until the
 * delete-widget job removes it.
 */
export async function listWidgets(db: Executor, where: { accountId: string }): Promise<WidgetRecord[]> {
  const rows = await db
    .selectFrom('widgets')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toWidgetRecord);
}

/**
 * Records an anonymous visitor of a widget; no personal data is kept about it. Throws
 * ReferenceNotFoundError, writing nothing, when the widget is unknown or another account's.
 */
export async function insertVisitor(
  db: Executor,
  input: { accountId: string; widgetId: string; now: number },
): Promise<string> {
  const write = async (tx: Executor) => {
    await assertOwned(tx, { table: 'widgets', accountId: input.accountId, id: input.widgetId, what: 'widget' });
    const id = randomUUID();
    await tx
      .insertInto('visitors')
      .values({
        id,
        account_id: input.accountId,
        widget_id: input.widgetId,
        created_at: input.now,
        last_seen_at: input.now,
      })
      .execute();
    return id;
  };
  return db.isTransaction ? write(db) : db.transaction().execute(write);
}

/** The public keys of the widgets that serve: those of active accounts, not being deleted, in key order. */
export async function listServedWidgetKeys(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('widgets')
    .innerJoin('accounts', 'accounts.id', 'widgets.account_id')
    .select('widgets.public_key')
    .where('accounts.status', '=', 'active')
    .where('widgets.deleted_at', 'is', null)
    .orderBy('widgets.public_key')
    .execute();
  return rows.map((row) => row.public_key);
}

/**
 * A widget by its public key, with its account's status; `undefined` for an unknown key and for a
 * widget being deleted.
 */
export async function findWidgetByPublicKey(
  db: Executor,
  publicKey: string,
): Promise<
  | { id: string; accountId: string; accountStatus: 'active' | 'terminated'; settings: Record<string, unknown> }
  | undefined
> {
  const row = await db
    .selectFrom('widgets')
    .innerJoin('accounts', 'accounts.id', 'widgets.account_id')
    .select([
      'widgets.id as id',
      'widgets.account_id as accountId',
      'accounts.status as accountStatus',
      'widgets.settings as settings',
    ])
    .where('widgets.public_key', '=', publicKey)
    .where('widgets.deleted_at', 'is', null)
    .executeTakeFirst();
  // insertWidget and updateWidget write settings, always from a JSON object.
  return row && { ...row, settings: JSON.parse(row.settings) as Record<string, unknown> };
}

/**
 * Notes that a visitor is active, and locks its row until the transaction ends, so two of its
 * sockets cannot both pass the open-conversation limit. False for an unknown visitor, and for one of
 * a widget being deleted: nothing new starts there.
 */
export async function touchVisitor(
  db: Executor,
  where: { accountId: string; visitorId: string; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable('visitors')
    .set({ last_seen_at: where.now })
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.visitorId)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('widgets')
          .select('widgets.id')
          .whereRef('widgets.id', '=', 'visitors.widget_id')
          .whereRef('widgets.account_id', '=', 'visitors.account_id')
          .where('widgets.deleted_at', 'is', null),
      ),
    )
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A widget as stored, with when it was last changed. */
export interface WidgetRecord extends Widget {
  updatedAt: number;
}

function toWidgetRecord(row: Selectable<WidgetsTable>): WidgetRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    publicKey: row.public_key,
    name: row.name,
    // Only insertWidget and updateWidget write this column, always from a JSON object.
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** One widget of the account; `undefined` for an unknown id, another account's, and one being deleted. */
export async function findWidgetRecord(
  db: Executor,
  where: { accountId: string; widgetId: string },
): Promise<WidgetRecord | undefined> {
  const row = await db
    .selectFrom('widgets')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.widgetId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row && toWidgetRecord(row);
}

/**
 * Sets the given fields of one widget of the account and its `updated_at`; false, changing nothing,
 * for an unknown id, another account's, and one being deleted. In a transaction the row stays locked
 * until it ends.
 */
export async function updateWidget(
  db: Executor,
  where: {
    accountId: string;
    widgetId: string;
    name?: string | undefined;
    settings?: Record<string, unknown> | undefined;
    now: number;
  },
): Promise<boolean> {
  const result = await db
    .updateTable('widgets')
    .set({
      ...(where.name === undefined ? {} : { name: where.name }),
      ...(where.settings === undefined ? {} : { settings: JSON.stringify(where.settings) }),
      updated_at: where.now,
    })
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.widgetId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** How many widgets the account has, leaving out those being deleted. */
export async function countWidgets(db: Executor, where: { accountId: string }): Promise<number> {
  const row = await db
    .selectFrom('widgets')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', where.accountId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Marks one widget of the account as being deleted, from `now` on: it serves, shows and starts
 * nothing more. False, changing nothing, for an unknown id, another account's, and one marked already.
 */
export async function markWidgetDeleted(
  db: Executor,
  where: { accountId: string; widgetId: string; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable('widgets')
    .set({ deleted_at: where.now, updated_at: where.now })
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.widgetId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** One widget of the account whose deletion was asked for, with when; `undefined` for any other id. */
export async function findWidgetBeingDeleted(
  db: Executor,
  where: { accountId: string; widgetId: string },
): Promise<{ id: string; deletedAt: number } | undefined> {
  const row = await db
    .selectFrom('widgets')
    .select(['id', 'deleted_at'])
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.widgetId)
    .executeTakeFirst();
  return row?.deleted_at == null ? undefined : { id: row.id, deletedAt: row.deleted_at };
}

/**
 * Removes the row of a widget being deleted once none of its conversations is left; its visitors go
 * with it (the foreign key's cascade; they hold nothing personal). Answers `removed`, or how many
 * conversations it still has (started just before the deletion was asked for), changing nothing, or
 * `gone` when there is no such row (removed before). Run it in a transaction: the row stays locked
 * until it ends, so no conversation can start on the widget between the count and the removal (whose
 * cascade would delete it without destroying its key).
 */
export async function removeDeletedWidget(
  db: Executor,
  where: { dialect: DialectName; accountId: string; widgetId: string },
): Promise<{ outcome: 'removed' | 'gone' } | { outcome: 'remaining'; conversations: number }> {
  const row = db
    .selectFrom('widgets')
    .select('id')
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.widgetId)
    .where('deleted_at', 'is not', null);
  // PostgreSQL: FOR UPDATE waits for a conversation insert that references the row (it holds a key
  // share lock) and keeps new ones out until the commit. SQLite has no FOR UPDATE and needs none: its
  // write transaction (BEGIN IMMEDIATE) holds the database lock already.
  if (!(await (where.dialect === 'postgres' ? row.forUpdate() : row).executeTakeFirst())) return { outcome: 'gone' };
  const left = await db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', where.accountId)
    .where('widget_id', '=', where.widgetId)
    .executeTakeFirstOrThrow();
  if (Number(left.n) > 0) return { outcome: 'remaining', conversations: Number(left.n) };
  await db.deleteFrom('widgets').where('account_id', '=', where.accountId).where('id', '=', where.widgetId).execute();
  return { outcome: 'removed' };
}
