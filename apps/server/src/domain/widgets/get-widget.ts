import type { WidgetDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { findWidgetRecord } from '../../storage/widgets-repository.js';
import { notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';
import { presentWidget } from './widget.js';

/** One of the account's widgets (every role); `not_found` for an unknown id or another account's. */
export async function getWidget(ctx: Context, input: { by: Principal; widgetId: string }): Promise<WidgetDto> {
  requireRole(input.by, 'operator');
  const record = await findWidgetRecord(ctx.database.db, { accountId: input.by.accountId, widgetId: input.widgetId });
  if (!record) throw notFound('widget', input.widgetId);
  return presentWidget(record);
}
