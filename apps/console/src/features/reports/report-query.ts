/**
 * What a report is asked for, as the page holds it and as the addresses carry it: the API's query
 * (`GET /api/v1/reports`, and its CSV tables) and the console's own address, so a reload or a shared
 * link opens the same report.
 */
import type { ReportQuery } from '@plauder/protocol';

/** The period and filters chosen; '' for a filter not set (all widgets, all operators). */
export interface ReportFilters {
  from: string;
  to: string;
  widgetId: string;
  operatorId: string;
}

/** The tables the API answers as CSV. */
export type CsvTable = 'days' | 'operators';

/**
 * The query string of a report (without `?`). Filters not set are left out: the API refuses an
 * empty id and any parameter it does not know.
 */
export function reportSearch(filters: ReportFilters): string {
  const query: ReportQuery = {
    from: filters.from,
    to: filters.to,
    ...(filters.widgetId ? { widgetId: filters.widgetId } : {}),
    ...(filters.operatorId ? { operatorId: filters.operatorId } : {}),
  };
  return new URLSearchParams({ ...query }).toString();
}

/** The API path of a report. */
export function reportPath(filters: ReportFilters): string {
  return `/api/v1/reports?${reportSearch(filters)}`;
}

/** The API path of one of a report's CSV tables, with the same period and filters. */
export function csvPath(table: CsvTable, filters: ReportFilters): string {
  return `/api/v1/reports/${table}.csv?${reportSearch(filters)}`;
}

/** The console's address of a report (below /app). */
export function reportsAddress(filters: ReportFilters): string {
  return `/reports?${reportSearch(filters)}`;
}

/** The report an address asks for; '' for what it does not say. */
export function filtersOf(query: URLSearchParams): ReportFilters {
  return {
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
    widgetId: query.get('widgetId') ?? '',
    operatorId: query.get('operatorId') ?? '',
  };
}
