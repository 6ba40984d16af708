import { OptionalFunction } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { findAccount, lockAccount } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import {
  countAccountsOnPlan,
  deletePlanRow,
  findPlan,
  selectPlans,
  setAccountPlan,
  upsertPlan,
  type PlanRow,
} from '../../storage/plans-repository.js';
import type { Executor } from '../../storage/schema.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError, notFound } from '../errors.js';

/** A plan and how many accounts have it. */
export type Plan = PlanRow & { accounts: number };

const PLAN_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Throws `validation_failed` unless `name` is a plan name. */
export function checkPlanName(name: string): void {
  if (!PLAN_NAME.test(name)) {
    throw new AppError('validation_failed', `"${name}" is not a plan name (lowercase letters, digits, dashes)`);
  }
}

/**
 * The plan every installation has, and a new account gets: without a row of its own it includes no
 * optional function; `plauder plan set standard` gives it some.
 */
export const STANDARD_PLAN = 'standard';

/** The plan `name`, the standard one without a row included; undefined for another unknown name. */
export async function planNamed(db: Executor, name: string): Promise<PlanRow | undefined> {
  const plan = await findPlan(db, name);
  if (plan || name !== STANDARD_PLAN) return plan;
  return { name, functions: [], createdAt: 0, updatedAt: 0 };
}

/** Throws `not_found` unless the plan `name` exists. */
export async function requirePlan(db: Executor, name: string): Promise<PlanRow> {
  const plan = await planNamed(db, name);
  if (!plan) {
    const known = (await plansOf(db)).map((p) => p.name);
    throw new AppError('not_found', `There is no plan "${name}"; the plans are ${known.join(', ')}`);
  }
  return plan;
}

async function plansOf(db: Executor): Promise<Plan[]> {
  const plans = await selectPlans(db);
  if (plans.some((plan) => plan.name === STANDARD_PLAN)) return plans;
  const standard = { name: STANDARD_PLAN, functions: [], createdAt: 0, updatedAt: 0 };
  plans.push({ ...standard, accounts: await countAccountsOnPlan(db, STANDARD_PLAN) });
  return plans.sort((a, b) => a.name.localeCompare(b.name));
}

/** The plans of the installation, by name. */
export function listPlans(ctx: Context): Promise<Plan[]> {
  return plansOf(ctx.store.db);
}

/**
 * Creates the plan `name`, or changes which optional functions it includes (the platform admin, at the
 * command line). A function taken out stops at once for every account on the plan: it stays turned on
 * in their settings, but a function runs only while the plan includes it.
 */
export async function setPlan(ctx: Context, input: { name: string; functions: readonly string[] }): Promise<Plan> {
  checkPlanName(input.name);
  const unknown = input.functions.filter((fn) => !OptionalFunction.safeParse(fn).success);
  if (unknown.length > 0) {
    throw new AppError(
      'validation_failed',
      `No optional function ${unknown.map((fn) => JSON.stringify(fn)).join(', ')}; there are ${OptionalFunction.options.join(', ')}`,
    );
  }
  const functions = [...new Set(input.functions as OptionalFunction[])];
  await upsertPlan(ctx.store.db, { name: input.name, functions, now: ctx.clock.now() });
  const plan = (await plansOf(ctx.store.db)).find((p) => p.name === input.name);
  if (!plan) throw notFound('plan', input.name);
  return plan;
}

/** Deletes the plan `name`; `plan_in_use` while an account has it. The standard plan stays. */
export async function deletePlan(ctx: Context, name: string): Promise<void> {
  if (name === STANDARD_PLAN) {
    throw new AppError('validation_failed', "The standard plan is every installation's; change its functions instead");
  }
  await inTransaction(ctx.store, async (tx) => {
    await requirePlan(tx.db, name);
    const accounts = await countAccountsOnPlan(tx.db, name);
    if (accounts > 0) {
      throw new AppError(
        'plan_in_use',
        `The plan "${name}" is assigned to ${accounts} account${accounts === 1 ? '' : 's'}; assign them another plan first`,
      );
    }
    await deletePlanRow(tx.db, name);
  });
}

/**
 * Gives an account another plan (the platform admin, at the command line); audited in the account as
 * `account.plan_changed`. Functions the new plan leaves out stop at once.
 */
export async function assignPlan(ctx: Context, input: { accountId: string; plan: string }): Promise<void> {
  checkPlanName(input.plan);
  await inTransaction(ctx.store, async (tx) => {
    await requirePlan(tx.db, input.plan);
    await lockAccount(tx.db, input.accountId);
    const account = await findAccount(tx.db, input.accountId);
    if (!account) throw new AppError('not_found', `There is no account ${input.accountId}`);
    if (account.plan === input.plan) return;
    await setAccountPlan(tx.db, { accountId: input.accountId, plan: input.plan });
    await insertAuditEntry(tx.db, {
      accountId: input.accountId,
      actorKind: 'cli',
      actorId: null,
      action: 'account.plan_changed',
      targetKind: 'plan',
      targetIds: [input.plan],
      at: ctx.clock.now(),
    });
  });
}
