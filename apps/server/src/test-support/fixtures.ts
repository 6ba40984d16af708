import { randomUUID } from 'node:crypto';
import type { Context } from '../context.js';
import type { VisitorTokenClaims } from '../crypto/visitor-token.js';
import { insertAccount } from '../storage/accounts-repository.js';
import { insertConversation } from '../storage/conversations-repository.js';
import { EMAIL_TAKEN, insertOperator, type Operator } from '../storage/operators-repository.js';
import { inTransaction, type Store } from '../storage/sealed-store.js';
import { insertVisitor, insertWidget } from '../storage/widgets-repository.js';

/**
 * An account with its key and one owner named after `label`, written straight through the
 * repositories: no password hashing, for tests that need many accounts fast.
 */
export async function seedOwnerAccount(
  ctx: Context,
  label: string,
): Promise<{ accountId: string; operatorId: string; now: number }> {
  const now = ctx.clock.now();
  const accountId = randomUUID();
  await inTransaction(ctx.store, async (tx) => {
    await insertAccount(tx.db, { id: accountId, name: label, plan: 'standard', retentionMonths: 12, now });
    await tx.keyring.createAccountKey(tx.db, { accountId, now });
  });
  const operator = await insertTestOperator(ctx.store, {
    accountId,
    email: `${label}-${randomUUID()}@example.test`,
    displayName: `${label} operator`,
    role: 'owner',
    passwordHash: 'not-a-real-hash',
    now,
  });
  return { accountId, operatorId: operator.id, now };
}

/**
 * An account with its key, a widget, and one visitor's conversation in it, written straight through
 * the repositories: for tests of what a conversation holds.
 */
export async function seedVisitorConversation(
  ctx: Context,
): Promise<{ accountId: string; conversationId: string; visitorId: string }> {
  const now = ctx.clock.now();
  const accountId = randomUUID();
  const widgetId = await inTransaction(ctx.store, async (tx) => {
    await insertAccount(tx.db, { id: accountId, name: 'Acme', plan: 'standard', retentionMonths: 12, now });
    await tx.keyring.createAccountKey(tx.db, { accountId, now });
    return (await insertWidget(tx.db, { accountId, name: 'Website', now })).id;
  });
  const visitorId = await insertVisitor(ctx.database.db, { accountId, widgetId, now });
  const conversationId = await insertConversation(ctx.store, { accountId, widgetId, visitorId, now });
  return { accountId, conversationId, visitorId };
}

/**
 * An account with its key and a widget with `settings` (every default when left out: consent is then
 * asked for), and one visitor of it, written straight through the repositories. Answers the visitor's
 * token claims, as its socket has them.
 */
export async function seedVisitor(
  ctx: Context,
  options: { settings?: Record<string, unknown> } = {},
): Promise<VisitorTokenClaims> {
  const now = ctx.clock.now();
  const accountId = randomUUID();
  const widgetId = await inTransaction(ctx.store, async (tx) => {
    await insertAccount(tx.db, { id: accountId, name: 'Acme', plan: 'standard', retentionMonths: 12, now });
    await tx.keyring.createAccountKey(tx.db, { accountId, now });
    const settings = options.settings ?? {};
    return (await insertWidget(tx.db, { accountId, name: 'Website', settings, now })).id;
  });
  return seedAnotherVisitor(ctx, { accountId, widgetId });
}

/** Another visitor of a widget, with its token claims. */
export async function seedAnotherVisitor(
  ctx: Context,
  widget: { accountId: string; widgetId: string },
): Promise<VisitorTokenClaims> {
  const now = ctx.clock.now();
  const visitorId = await insertVisitor(ctx.database.db, { ...widget, now });
  return { accountId: widget.accountId, widgetId: widget.widgetId, visitorId, expiresAt: now + 60 * 60 * 1000 };
}

/** Replaces a widget's settings (stored as JSON), as a change of the account's setup does. */
export async function setWidgetSettings(
  ctx: Context,
  input: { widgetId: string; settings: Record<string, unknown> },
): Promise<void> {
  await ctx.database.db
    .updateTable('widgets')
    .set({ settings: JSON.stringify(input.settings) })
    .where('id', '=', input.widgetId)
    .execute();
}

/** insertOperator for a test whose emails are its own: an email taken already is a broken test. */
export async function insertTestOperator(store: Store, input: Parameters<typeof insertOperator>[1]): Promise<Operator> {
  const operator = await insertOperator(store, input);
  if (operator === EMAIL_TAKEN) throw new Error(`A test operator's email is taken already: ${input.email}`);
  return operator;
}
