import type { OptionalFunction } from '@plauder/protocol';
import type { Executor } from './schema.js';

/** A plan of the installation and the optional functions it includes. */
export interface PlanRow {
  name: string;
  functions: OptionalFunction[];
  createdAt: number;
  updatedAt: number;
}

function planOf(row: { name: string; functions: string; created_at: number; updated_at: number }): PlanRow {
  return {
    name: row.name,
    functions: JSON.parse(row.functions) as OptionalFunction[],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Every plan, by name, with how many accounts have it. */
export async function selectPlans(db: Executor): Promise<(PlanRow & { accounts: number })[]> {
  const rows = await db
    .selectFrom('plans')
    .leftJoin('accounts', 'accounts.plan', 'plans.name')
    .select(['plans.name', 'plans.functions', 'plans.created_at', 'plans.updated_at'])
    .select((eb) => eb.fn.count<number>('accounts.id').as('accounts'))
    .groupBy(['plans.name', 'plans.functions', 'plans.created_at', 'plans.updated_at'])
    .orderBy('plans.name')
    .execute();
  return rows.map((row) => ({ ...planOf(row), accounts: Number(row.accounts) }));
}

/** One plan by name. */
export async function findPlan(db: Executor, name: string): Promise<PlanRow | undefined> {
  const row = await db.selectFrom('plans').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? planOf(row) : undefined;
}

/** Creates the plan `name` or changes the functions it includes. */
export async function upsertPlan(
  db: Executor,
  input: { name: string; functions: readonly OptionalFunction[]; now: number },
): Promise<void> {
  const functions = JSON.stringify([...input.functions].sort());
  await db
    .insertInto('plans')
    .values({ name: input.name, functions, created_at: input.now, updated_at: input.now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ functions, updated_at: input.now }))
    .execute();
}

/** Deletes the plan `name`; false when there was none. */
export async function deletePlanRow(db: Executor, name: string): Promise<boolean> {
  const result = await db.deleteFrom('plans').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** How many accounts have the plan `name`. */
export async function countAccountsOnPlan(db: Executor, name: string): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('plan', '=', name)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Gives account `accountId` the plan `plan`. */
export async function setAccountPlan(db: Executor, input: { accountId: string; plan: string }): Promise<void> {
  await db.updateTable('accounts').set({ plan: input.plan }).where('id', '=', input.accountId).execute();
}

/** The optional functions account `accountId` turned on. */
export async function selectEnabledFunctions(db: Executor, accountId: string): Promise<OptionalFunction[]> {
  const rows = await db
    .selectFrom('account_functions')
    .select('function')
    .where('account_id', '=', accountId)
    .orderBy('function')
    .execute();
  return rows.map((row) => row.function);
}

/** Turns an optional function of an account on (false when it was on already) or off (false when it was off). */
export async function setFunctionEnabled(
  db: Executor,
  input: { accountId: string; fn: OptionalFunction; enabled: boolean; by: string | null; now: number },
): Promise<boolean> {
  if (!input.enabled) {
    const result = await db
      .deleteFrom('account_functions')
      .where('account_id', '=', input.accountId)
      .where('function', '=', input.fn)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
  const result = await db
    .insertInto('account_functions')
    .values({ account_id: input.accountId, function: input.fn, enabled_by: input.by, enabled_at: input.now })
    .onConflict((oc) => oc.columns(['account_id', 'function']).doNothing())
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}
