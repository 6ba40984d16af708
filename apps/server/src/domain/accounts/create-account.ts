import { randomUUID } from 'node:crypto';
import type { Context } from '../../context.js';
import { insertAccount } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { EMAIL_TAKEN, insertOperator, type Operator } from '../../storage/operators-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { insertWidget, type Widget } from '../../storage/widgets-repository.js';
import { hashPassword } from '../auth/passwords.js';
import { AppError } from '../errors.js';
import { checkPlanName, requirePlan } from '../functions/plans.js';
import { assertEmailFree, displayNameOf, emailTaken, loginEmail } from '../operators/create-operator.js';

/** The default transcript retention of a new account, in months. */
export const DEFAULT_RETENTION_MONTHS = 12;

/** Creates an account with its key, its owner and a first widget; audited as done by `actor`. */
export async function createAccount(
  ctx: Context,
  input: {
    name: string;
    plan: string;
    owner: { email: string; displayName: string; password: string };
    retentionMonths?: number;
    actor: { kind: 'cli' | 'system'; id: string | null };
  },
): Promise<{ accountId: string; owner: Operator; widget: Widget }> {
  const name = input.name.trim();
  if (!name || name.length > 200) throw new AppError('validation_failed', 'The account name needs 1 to 200 characters');
  checkPlanName(input.plan);
  const retentionMonths = input.retentionMonths ?? DEFAULT_RETENTION_MONTHS;
  if (!Number.isInteger(retentionMonths) || retentionMonths < 1 || retentionMonths > 36) {
    throw new AppError('validation_failed', 'The retention window is a whole number of months from 1 to 36');
  }
  const email = loginEmail(input.owner.email);
  const passwordHash = await hashPassword(input.owner.password);
  const now = ctx.clock.now();
  return inTransaction(ctx.store, async (tx) => {
    await assertEmailFree(tx, email);
    await requirePlan(tx.db, input.plan);
    const accountId = randomUUID();
    await insertAccount(tx.db, { id: accountId, name, plan: input.plan, retentionMonths, now });
    await tx.keyring.createAccountKey(tx.db, { accountId, now });
    const owner = await insertOperator(tx, {
      accountId,
      email,
      displayName: displayNameOf(input.owner.displayName),
      role: 'owner',
      passwordHash,
      now,
    });
    if (owner === EMAIL_TAKEN) throw emailTaken();
    const widget = await insertWidget(tx.db, { accountId, name: 'Website', now });
    await insertAuditEntry(tx.db, {
      accountId,
      actorKind: input.actor.kind,
      actorId: input.actor.id,
      action: 'account.created',
      targetKind: 'account',
      targetIds: [accountId, owner.id],
      at: now,
    });
    return { accountId, owner, widget };
  });
}
