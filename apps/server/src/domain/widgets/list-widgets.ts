import type { WidgetDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { listWidgets as listWidgetRecords } from '../../storage/widgets-repository.js';
import { requireRole, type Principal } from '../principal.js';
import { presentWidget } from './widget.js';

/** The account's widgets, oldest first; every role may read them, to see what visitors see. */
export async function listWidgets(ctx: Context, input: { by: Principal }): Promise<WidgetDto[]> {
  requireRole(input.by, 'operator');
  const records = await listWidgetRecords(ctx.database.db, { accountId: input.by.accountId });
  return records.map(presentWidget);
}
