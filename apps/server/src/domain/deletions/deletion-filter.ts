import type { DeletionFilter } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { accountHas, type ConversationMatch } from '../../storage/deletion-queries.js';
import { AppError, notFound } from '../errors.js';

/** The criteria of a filter besides `all`; a filter must give one of them or say `all: true`. */
const CRITERIA = ['createdFrom', 'createdTo', 'widgetId', 'operatorId', 'status', 'rating', 'contactId'] as const;

/**
 * Checks a bulk delete's filter before anything is counted or started: a filter without criterion
 * needs `all: true`, which stands alone (so a forgotten filter never deletes everything, and `all`
 * never hides a criterion that was meant); a time range must not be reversed or empty; the widget,
 * operator and contact must be the account's (`not_found` otherwise, as for an unknown id).
 */
export async function checkDeletionFilter(
  ctx: Context,
  input: { accountId: string; filter: DeletionFilter },
): Promise<void> {
  const { accountId, filter } = input;
  const given = CRITERIA.filter((criterion) => filter[criterion] !== undefined);
  if (given.length === 0 && filter.all !== true) {
    throw new AppError(
      'validation_failed',
      'The filter has no criterion; give one (createdFrom, createdTo, widgetId, operatorId, status, rating, contactId), or all: true to delete every conversation of the account',
    );
  }
  if (given.length > 0 && filter.all === true) {
    throw new AppError(
      'validation_failed',
      `all: true deletes every conversation and cannot be combined with ${given.join(', ')}; drop one or the other`,
    );
  }
  if (filter.createdFrom !== undefined && filter.createdTo !== undefined && filter.createdFrom >= filter.createdTo) {
    throw new AppError(
      'validation_failed',
      `createdTo (${filter.createdTo}) must be after createdFrom (${filter.createdFrom}): createdFrom is inclusive, createdTo exclusive`,
    );
  }
  const references = [
    { table: 'widgets', what: 'widget', id: filter.widgetId },
    { table: 'operators', what: 'operator', id: filter.operatorId },
    { table: 'contacts', what: 'contact', id: filter.contactId },
  ] as const;
  for (const { table, what, id } of references) {
    if (id !== undefined && !(await accountHas(ctx.database.db, { table, accountId, id }))) throw notFound(what, id);
  }
}

/** The conversations of the account a filter matches, among those created before `createdBefore`. */
export function matchOf(input: {
  accountId: string;
  filter: DeletionFilter;
  createdBefore: number;
}): ConversationMatch {
  const { filter } = input;
  return {
    accountId: input.accountId,
    createdBefore: input.createdBefore,
    createdFrom: filter.createdFrom,
    createdTo: filter.createdTo,
    widgetId: filter.widgetId,
    operatorId: filter.operatorId,
    status: filter.status,
    rating: filter.rating,
    contactId: filter.contactId,
  };
}

/** The ids a filter names (widget, operator, contact), for the audit log. */
export function idsOfFilter(filter: DeletionFilter): string[] {
  return [filter.widgetId, filter.operatorId, filter.contactId].filter((id): id is string => id !== undefined);
}
