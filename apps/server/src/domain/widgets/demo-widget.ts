import type { Context } from '../../context.js';
import { listAccounts } from '../../storage/accounts-repository.js';
import { listWidgets } from '../../storage/widgets-repository.js';

/** The plan of the demo account an embedded installation makes at its first start. */
export const DEMO_PLAN = 'demo';

/**
 * The public key of the demo account's first widget, for the demo page; undefined when the
 * installation has no active demo account (PostgreSQL installations start without one).
 */
export async function findDemoWidgetKey(ctx: Context): Promise<string | undefined> {
  const demo = (await listAccounts(ctx.database.db)).find((a) => a.plan === DEMO_PLAN && a.status === 'active');
  if (!demo) return undefined;
  return (await listWidgets(ctx.database.db, { accountId: demo.id }))[0]?.publicKey;
}
