import { CreateWidgetRequest, WidgetSettings, type WidgetDto } from '@plauder/protocol';
import type { z } from 'zod';
import type { Context } from '../../context.js';
import { lockAccount } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { countWidgets, insertWidget } from '../../storage/widgets-repository.js';
import { assertAccountActive } from '../accounts/terminate-account.js';
import { AppError } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { presentWidget } from './widget.js';
import { mergeSettings, parseWidgetInput } from './widget-input.js';

/** How many widgets an account may have: one per site or brand, with room to spare. */
export const MAX_WIDGETS_PER_ACCOUNT = 100;

/**
 * Adds a widget to the account (admin and up), with a new public key. It stores only the settings
 * given, so the others follow the defaults as a new account's first widget does; they must be valid
 * WidgetSettings as a whole (`validation_failed` naming the first bad field). Its config and window
 * serve at once. `too_many_widgets` when the account has MAX_WIDGETS_PER_ACCOUNT already (widgets
 * being deleted do not count), `account_terminated` in a terminated account. Audited by id only.
 */
export async function createWidget(
  ctx: Context,
  input: { by: Principal } & z.input<typeof CreateWidgetRequest>,
): Promise<WidgetDto> {
  const { by } = input;
  requireRole(by, 'admin');
  const request = parseWidgetInput(CreateWidgetRequest, { name: input.name, settings: input.settings }, []);
  const settings = request.settings === undefined ? {} : mergeSettings({}, request.settings);
  parseWidgetInput(WidgetSettings, settings, ['settings']);
  const { accountId } = by;
  await assertAccountActive(ctx, { accountId });
  return inTransaction(ctx.store, async (tx) => {
    // One widget change of the account at a time: two adds cannot both pass the limit.
    await lockAccount(tx.db, accountId);
    if ((await countWidgets(tx.db, { accountId })) >= MAX_WIDGETS_PER_ACCOUNT) {
      throw new AppError(
        'too_many_widgets',
        `An account may have ${MAX_WIDGETS_PER_ACCOUNT} widgets; delete one it no longer needs before adding another`,
      );
    }
    const now = ctx.clock.now();
    const widget = await insertWidget(tx.db, { accountId, name: request.name, settings, now });
    await insertAuditEntry(tx.db, {
      accountId,
      ...actorOf(by),
      action: 'widget.created',
      targetKind: 'widget',
      targetIds: [widget.id],
      at: now,
    });
    return presentWidget({ ...widget, updatedAt: now });
  });
}
