import { randomBytes, randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { assertOwned } from './account-references.js';
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

/** The widgets of one account with their change times, oldest first. */
export async function listWidgets(db: Executor, where: { accountId: string }): Promise<WidgetRecord[]> {
  const rows = await db
    .selectFrom('widgets')
    .selectAll()
    .where('account_id', '=', where.accountId)
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

/** The public keys of the widgets that serve: those of active accounts, in key order. */
export async function listServedWidgetKeys(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('widgets')
    .innerJoin('accounts', 'accounts.id', 'widgets.account_id')
    .select('widgets.public_key')
    .where('accounts.status', '=', 'active')
    .orderBy('widgets.public_key')
    .execute();
  return rows.map((row) => row.public_key);
}

/** A widget by its public key, with its account's status; `undefined` for an unknown key. */
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
    .executeTakeFirst();
  // insertWidget and updateWidget write settings, always from a JSON object.
  return row && { ...row, settings: JSON.parse(row.settings) as Record<string, unknown> };
}

/**
 * Notes that a visitor is active, and locks its row until the transaction ends, so two of its
 * sockets cannot both pass the open-conversation limit. False for an unknown visitor.
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

/** One widget of the account; `undefined` for an unknown id or another account's. */
export async function findWidgetRecord(
  db: Executor,
  where: { accountId: string; widgetId: string },
): Promise<WidgetRecord | undefined> {
  const row = await db
    .selectFrom('widgets')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.widgetId)
    .executeTakeFirst();
  return row && toWidgetRecord(row);
}

/**
 * Sets the given fields of one widget of the account and its `updated_at`; false, changing nothing,
 * for an unknown id or another account's. In a transaction the row stays locked until it ends.
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
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
