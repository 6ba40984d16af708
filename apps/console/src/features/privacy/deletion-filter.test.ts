import { describe, expect, it } from 'vitest';
import { countsText, EMPTY_FILTER_FORM, filterOf } from './deletion-filter.js';

describe('the bulk delete filter', () => {
  it('takes both days whole, in the local time zone, ending at the next midnight', () => {
    const answer = filterOf({ ...EMPTY_FILTER_FORM, createdFrom: '2024-03-01', createdTo: '2024-03-31' });
    expect(answer).toEqual({
      filter: { createdFrom: new Date(2024, 2, 1).getTime(), createdTo: new Date(2024, 3, 1).getTime() },
    });
  });

  it('refuses a form without any criterion rather than deleting everything', () => {
    expect(filterOf(EMPTY_FILTER_FORM)).toEqual({ error: expect.stringContaining('at least one criterion') as string });
  });

  it('sends "everything" alone, whatever else the form holds', () => {
    expect(filterOf({ ...EMPTY_FILTER_FORM, everything: true, status: 'closed', rating: '2' })).toEqual({
      filter: { all: true },
    });
  });

  it('sends only the criteria given, with the rating as a number', () => {
    const form = { ...EMPTY_FILTER_FORM, widgetId: 'w', operatorId: 'o', status: 'closed' as const, rating: '1' };
    expect(filterOf(form)).toEqual({ filter: { widgetId: 'w', operatorId: 'o', status: 'closed', rating: 1 } });
  });

  it('says when the first day comes after the last', () => {
    expect(filterOf({ ...EMPTY_FILTER_FORM, createdFrom: '2024-05-02', createdTo: '2024-05-01' })).toEqual({
      error: 'The first day is after the last day.',
    });
  });

  it('names the counts of a dry run, one and many', () => {
    expect(countsText({ conversations: 1, messages: 12 })).toBe('1 conversation and 12 messages');
    expect(countsText({ conversations: 0, messages: 0 })).toBe('0 conversations and 0 messages');
  });
});
