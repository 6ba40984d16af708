import { z } from 'zod';

/** The longest period one report covers, in days: five years, leap days included. */
export const MAX_REPORT_DAYS = 5 * 365 + 2;

/** What a report is asked for: local calendar days (`YYYY-MM-DD`, both counted) and optional filters. */
export const ReportQuery = z.object({
  from: z.string(),
  to: z.string(),
  widgetId: z.string().min(1).max(100).optional(),
  operatorId: z.string().min(1).max(100).optional(),
});
/** The query string of a report. */
export type ReportQuery = z.infer<typeof ReportQuery>;

/** Percentiles and the average of a time, in milliseconds; null when nothing was counted. */
export const TimeSummaryDto = z.object({
  count: z.number().int(),
  averageMs: z.number().nullable(),
  medianMs: z.number().nullable(),
  p90Ms: z.number().nullable(),
});

/** The numbers of one period. */
export const ReportTotalsDto = z.object({
  conversations: z.object({
    /** Started; with an operator filter, the conversations that operator closed. */
    total: z.number().int(),
    /** Given a first answer by an operator. */
    answered: z.number().int(),
    /** Chats closed that no operator answered. */
    missed: z.number().int(),
    /** Messages left while nobody was online. */
    offline: z.number().int(),
    closed: z.number().int(),
  }),
  firstResponse: TimeSummaryDto,
  /** From start to close; the median and 90th percentile from histogram buckets (docs/REPORTS.md). */
  duration: TimeSummaryDto,
  messages: z.object({
    visitor: z.number().int(),
    operator: z.number().int(),
    /** Messages per conversation counted in `total`; null without conversations. */
    perConversation: z.number().nullable(),
  }),
  ratings: z.object({
    count: z.number().int(),
    average: z.number().nullable(),
    /** How many conversations were rated 1, 2, 3, 4 and 5 (index 0 … 4). */
    distribution: z.array(z.number().int()).length(5),
  }),
});
/** The numbers of one period. */
export type ReportTotalsDto = z.infer<typeof ReportTotalsDto>;

/** One operator's row of a report. */
export const OperatorReportDto = z.object({
  operatorId: z.string(),
  /** Closed while assigned to them. */
  conversations: z.number().int(),
  messages: z.number().int(),
  firstResponse: TimeSummaryDto,
  duration: TimeSummaryDto,
  ratings: z.object({ count: z.number().int(), average: z.number().nullable() }),
});
/** One operator's row of a report. */
export type OperatorReportDto = z.infer<typeof OperatorReportDto>;

/** A report of an account over a period, with the period of the same length before it. */
export const ReportDto = z.object({
  timeZone: z.string(),
  from: z.string(),
  to: z.string(),
  previous: z.object({ from: z.string(), to: z.string() }),
  widgetId: z.string().nullable(),
  operatorId: z.string().nullable(),
  totals: ReportTotalsDto,
  previousTotals: ReportTotalsDto,
  /** Per day of the period, in order: conversations started (or closed, with an operator filter), answered, missed. */
  days: z.array(
    z.object({
      day: z.string(),
      conversations: z.number().int(),
      answered: z.number().int(),
      missed: z.number().int(),
      offline: z.number().int(),
    }),
  ),
  /** Conversations started per local weekday (0 = Monday) and hour: 7 rows of 24. */
  busiestHours: z.array(z.array(z.number().int()).length(24)).length(7),
  operators: z.array(OperatorReportDto),
});
/** A report of an account over a period. */
export type ReportDto = z.infer<typeof ReportDto>;
