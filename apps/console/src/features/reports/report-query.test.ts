import { describe, expect, it } from 'vitest';
import { csvPath, filtersOf, reportPath, reportsAddress, type ReportFilters } from './report-query.js';

const MARCH: ReportFilters = { from: '2026-03-01', to: '2026-03-31', widgetId: '', operatorId: '' };

describe('report addresses', () => {
  it('asks for the period alone when no filter is set', () => {
    expect(reportPath(MARCH)).toBe('/api/v1/reports?from=2026-03-01&to=2026-03-31');
  });

  it('carries the period and every filter set into both CSV tables', () => {
    const filters = { ...MARCH, widgetId: 'w_1', operatorId: 'op 2&x' };
    expect(csvPath('days', filters)).toBe(
      '/api/v1/reports/days.csv?from=2026-03-01&to=2026-03-31&widgetId=w_1&operatorId=op+2%26x',
    );
    expect(csvPath('operators', { ...MARCH, operatorId: 'op' })).toBe(
      '/api/v1/reports/operators.csv?from=2026-03-01&to=2026-03-31&operatorId=op',
    );
  });

  it("reads back from the console's address what it wrote", () => {
    const filters = { ...MARCH, widgetId: 'w_1' };
    const address = reportsAddress(filters);
    expect(address).toBe('/reports?from=2026-03-01&to=2026-03-31&widgetId=w_1');
    expect(filtersOf(new URLSearchParams(address.split('?')[1]))).toEqual(filters);
    expect(filtersOf(new URLSearchParams(''))).toEqual({ from: '', to: '', widgetId: '', operatorId: '' });
  });
});
