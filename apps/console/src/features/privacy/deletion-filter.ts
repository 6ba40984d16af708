/**
 * The bulk delete's filter form and the API filter it stands for. Pure, so the rules that decide
 * what gets erased are tested without a browser.
 */
import type { ConversationStatus, DeletionFilter, DeletionPreviewDto } from '@plauder/protocol';

/** The form as typed: dates as `YYYY-MM-DD` (the date input's value), '' for "any". */
export interface FilterForm {
  createdFrom: string;
  createdTo: string;
  widgetId: string;
  operatorId: string;
  status: '' | ConversationStatus;
  rating: string;
  everything: boolean;
}

/** A form with no criterion. */
export const EMPTY_FILTER_FORM: FilterForm = {
  createdFrom: '',
  createdTo: '',
  widgetId: '',
  operatorId: '',
  status: '',
  rating: '',
  everything: false,
};

/** Local midnight of a `YYYY-MM-DD` day, `days` later; undefined for anything else. */
function midnightOf(day: string, days = 0): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days).getTime();
}

/**
 * The API filter of a form, or what is wrong with it. Days are the operator's own (the browser's
 * time zone) and both ends are included: "to" ends at the next day's midnight, which the API takes
 * as exclusive. "Everything" stands alone, as the API requires; a form without any criterion is
 * refused here already, so a forgotten field never reads as "delete everything".
 */
export function filterOf(form: FilterForm): { filter: DeletionFilter } | { error: string } {
  if (form.everything) return { filter: { all: true } };
  const createdFrom = midnightOf(form.createdFrom);
  const createdTo = midnightOf(form.createdTo, 1);
  if (form.createdFrom && createdFrom === undefined) return { error: 'The first day is not a date.' };
  if (form.createdTo && createdTo === undefined) return { error: 'The last day is not a date.' };
  if (createdFrom !== undefined && createdTo !== undefined && createdFrom >= createdTo) {
    return { error: 'The first day is after the last day.' };
  }
  const rating = form.rating === '' ? undefined : Number(form.rating);
  if (rating !== undefined && !(Number.isInteger(rating) && rating >= 1 && rating <= 5)) {
    return { error: 'A rating is 1 to 5 stars.' };
  }
  const filter: DeletionFilter = {
    ...(createdFrom !== undefined ? { createdFrom } : {}),
    ...(createdTo !== undefined ? { createdTo } : {}),
    ...(form.widgetId ? { widgetId: form.widgetId } : {}),
    ...(form.operatorId ? { operatorId: form.operatorId } : {}),
    ...(form.status ? { status: form.status } : {}),
    ...(rating !== undefined ? { rating } : {}),
  };
  if (Object.keys(filter).length === 0) {
    return { error: 'Choose at least one criterion, or "Everything" to delete every conversation.' };
  }
  return { filter };
}

/** "1 conversation", "2 messages". */
export function counted(count: number, one: string, many: string): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

/** What a dry run found: "2 conversations and 7 messages". */
export function countsText(preview: DeletionPreviewDto): string {
  return `${counted(preview.conversations, 'conversation', 'conversations')} and ${counted(preview.messages, 'message', 'messages')}`;
}
