import { UpdateWidgetRequest, WidgetSettings, type WidgetDto } from '@plauder/protocol';
import type { z } from 'zod';
import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { findWidgetRecord, updateWidget as updateRecord } from '../../storage/widgets-repository.js';
import { AppError, notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { presentWidget } from './widget.js';
import { mergeSettings, parseWidgetInput as parse } from './widget-input.js';

/**
 * Changes one of the account's widgets (admin and up: the widget speaks for the account on its sites).
 * The settings given are merged over the stored ones, top-level keys and `privacy`'s keys, and the
 * result must be valid WidgetSettings. Throws `validation_failed` naming the first bad field, and
 * `not_found`, changing nothing, for an unknown id or another account's. Audited by id only.
 */
export async function updateWidget(
  ctx: Context,
  input: { by: Principal; widgetId: string } & z.input<typeof UpdateWidgetRequest>,
): Promise<WidgetDto> {
  requireRole(input.by, 'admin');
  const changes = parse(UpdateWidgetRequest, { name: input.name, settings: input.settings }, []);
  if (changes.name === undefined && changes.settings === undefined) {
    throw new AppError('validation_failed', 'Nothing to change: send name, settings or both');
  }
  const now = ctx.clock.now();
  const where = { accountId: input.by.accountId, widgetId: input.widgetId };
  return inTransaction(ctx.store, async (tx) => {
    // Touching the row first locks it until the transaction ends (PostgreSQL's row lock; SQLite writes
    // one transaction at a time), so two concurrent changes cannot merge over the same stored settings
    // and one of them be lost.
    if (!(await updateRecord(tx.db, { ...where, now }))) throw notFound('widget', input.widgetId);
    const record = await findWidgetRecord(tx.db, where);
    if (!record) throw notFound('widget', input.widgetId);
    const settings = changes.settings && mergeSettings(record.settings, changes.settings);
    // Checked whole, not only the changes: the stored part must still hold together with them.
    if (settings) parse(WidgetSettings, settings, ['settings']);
    await updateRecord(tx.db, { ...where, name: changes.name, settings, now });
    await insertAuditEntry(tx.db, {
      accountId: where.accountId,
      ...actorOf(input.by),
      action: 'widget.updated',
      targetKind: 'widget',
      targetIds: [input.widgetId],
      at: now,
    });
    return presentWidget({
      ...record,
      name: changes.name ?? record.name,
      settings: settings ?? record.settings,
      updatedAt: now,
    });
  });
}
