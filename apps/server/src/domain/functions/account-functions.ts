import { AccountFunctionChange, OptionalFunction, type AccountFunctionDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { findAccount, lockAccount } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { selectEnabledFunctions, setFunctionEnabled } from '../../storage/plans-repository.js';
import { planNamed } from './plans.js';
import type { Executor } from '../../storage/schema.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError } from '../errors.js';
import { actorOf, requireRole, type CliActor, type Principal } from '../principal.js';
import { forgetDeliveryRoutes } from '../deliveries/queue-deliveries.js';
import { FUNCTIONS } from './registry.js';

/** The optional functions of the caller's account: in its plan or not, set up, turned on, running. */
export async function listAccountFunctions(
  ctx: Context,
  input: { by: Principal | CliActor },
): Promise<AccountFunctionDto[]> {
  return functionsOf(ctx, ctx.store.db, input.by.accountId);
}

/**
 * Turns an optional function of the caller's account on or off (admin and up). Turning on needs the
 * account's plan to include the function (`function_not_in_plan`) and the installation to be set up
 * for it (`function_not_configured`); turning off always works, at once. The audit entry
 * `function.enabled` or `function.disabled` names the function; a change to what is stored already
 * writes none.
 */
export async function setAccountFunction(
  ctx: Context,
  input: { by: Principal | CliActor; fn: string; change: unknown },
): Promise<AccountFunctionDto> {
  requireRole(input.by, 'admin');
  const fn = OptionalFunction.safeParse(input.fn);
  if (!fn.success) {
    throw new AppError(
      'not_found',
      `No optional function ${JSON.stringify(input.fn)}; there are ${OptionalFunction.options.join(', ')}`,
    );
  }
  const change = AccountFunctionChange.strict().safeParse(input.change);
  if (!change.success) {
    throw new AppError('validation_failed', 'Send {"enabled": true} or {"enabled": false}', change.error.issues);
  }
  const { accountId } = input.by;
  const { enabled } = change.data;
  const now = ctx.clock.now();
  const changed = await inTransaction(ctx.store, async (tx) => {
    await lockAccount(tx.db, accountId);
    const account = await findAccount(tx.db, accountId);
    if (!account) throw new AppError('unauthenticated', 'This account no longer exists');
    if (enabled) {
      const plan = await planNamed(tx.db, account.plan);
      if (!plan?.functions.includes(fn.data)) {
        throw new AppError(
          'function_not_in_plan',
          `The plan "${account.plan}" does not include ${FUNCTIONS[fn.data].title.toLowerCase()}; the provider of this installation can assign a plan that does`,
        );
      }
      if (!FUNCTIONS[fn.data].configured(ctx.config)) {
        throw new AppError(
          'function_not_configured',
          `This installation is not set up for ${FUNCTIONS[fn.data].title.toLowerCase()}; its administrator sets it up (docs/OPTIONAL-FUNCTIONS.md)`,
        );
      }
    }
    const actor = actorOf(input.by);
    const changed = await setFunctionEnabled(tx.db, {
      accountId,
      fn: fn.data,
      enabled,
      by: actor.actorKind === 'operator' ? actor.actorId : null,
      now,
    });
    if (changed) {
      await insertAuditEntry(tx.db, {
        accountId,
        ...actor,
        action: enabled ? 'function.enabled' : 'function.disabled',
        targetKind: 'function',
        targetIds: [fn.data],
        at: now,
      });
    }
    const all = await functionsOf(ctx, tx.db, accountId);
    return all.find((entry) => entry.function === fn.data) as AccountFunctionDto;
  });
  forgetDeliveryRoutes(ctx, accountId);
  return changed;
}

/**
 * The optional functions that run for account `accountId`: turned on by the account, included in its
 * plan, and set up on this installation. Every sending path asks this before it sends.
 */
export async function activeFunctions(ctx: Context, db: Executor, accountId: string): Promise<Set<OptionalFunction>> {
  const all = await functionsOf(ctx, db, accountId);
  return new Set(all.filter((entry) => entry.active).map((entry) => entry.function));
}

async function functionsOf(ctx: Context, db: Executor, accountId: string): Promise<AccountFunctionDto[]> {
  const account = await findAccount(db, accountId);
  if (!account) throw new AppError('unauthenticated', 'This account no longer exists');
  const plan = await planNamed(db, account.plan);
  const enabled = new Set(await selectEnabledFunctions(db, accountId));
  return OptionalFunction.options.map((fn) => {
    const declaration = FUNCTIONS[fn];
    const inPlan = plan?.functions.includes(fn) ?? false;
    const configured = declaration.configured(ctx.config);
    const isEnabled = enabled.has(fn);
    return {
      function: fn,
      title: declaration.title,
      inPlan,
      configured,
      enabled: isEnabled,
      active: inPlan && configured && isEnabled && account.status === 'active',
      processor: declaration.processor(ctx.config),
    };
  });
}
