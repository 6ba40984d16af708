import { ReportDto, ReportQuery, type ReportTotalsDto } from '@plauder/protocol';
import type { FastifyReply } from 'fastify';
import type { Context } from '../../context.js';
import { getReport, getReportDays, getReportOperators } from '../../domain/reports/get-report.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

/** A CSV cell of an average: empty for none, to two decimals. */
const cell = (value: number | null): string => (value === null ? '' : String(Math.round(value * 100) / 100));
/** A CSV cell of a time in milliseconds: empty for none, in seconds to a tenth. */
const seconds = (ms: number | null) => (ms === null ? '' : String(Math.round(ms / 100) / 10));

const TOTALS_COLUMNS = [
  'conversations',
  'answered',
  'missed',
  'offline',
  'closed',
  'first_response_avg_s',
  'first_response_median_s',
  'first_response_p90_s',
  'duration_avg_s',
  'duration_median_s',
  'duration_p90_s',
  'messages_visitor',
  'messages_operator',
  'messages_per_conversation',
  'ratings',
  'rating_avg',
  'rated_1',
  'rated_2',
  'rated_3',
  'rated_4',
  'rated_5',
];

const OPERATOR_COLUMNS = [
  'operator_id',
  'conversations',
  'messages',
  'first_response_avg_s',
  'first_response_median_s',
  'first_response_p90_s',
  'duration_avg_s',
  'duration_median_s',
  'duration_p90_s',
  'ratings',
  'rating_avg',
];

function totalsCells(totals: ReportTotalsDto): string[] {
  const { conversations, firstResponse, duration, messages, ratings } = totals;
  return [
    ...[
      conversations.total,
      conversations.answered,
      conversations.missed,
      conversations.offline,
      conversations.closed,
    ].map(String),
    seconds(firstResponse.averageMs),
    seconds(firstResponse.medianMs),
    seconds(firstResponse.p90Ms),
    seconds(duration.averageMs),
    seconds(duration.medianMs),
    seconds(duration.p90Ms),
    String(messages.visitor),
    String(messages.operator),
    cell(messages.perConversation),
    String(ratings.count),
    cell(ratings.average),
    ...ratings.distribution.map(String),
  ];
}

/** Sends rows as a CSV download (RFC 4180: comma separated, CRLF); every cell is a number, a day or an id. */
function presentCsv(reply: FastifyReply, input: { fileName: string; header: string[]; rows: string[][] }) {
  const lines = [input.header, ...input.rows].map((row) => row.join(','));
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${input.fileName}"`)
    .header('cache-control', 'private, no-store')
    .send(lines.join('\r\n') + '\r\n');
}

/** The account's reports, from its rollups (docs/REPORTS.md), and their tables as CSV. Admins and owners. */
export function reportRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/reports',
    {
      schema: {
        tags: ['reports'],
        summary:
          "The account's numbers over local days from…to (YYYY-MM-DD, both counted), optionally of one widget or operator, with the period before",
        querystring: ReportQuery.strict(),
        response: { 200: ReportDto },
      },
    },
    async (request) => getReport(ctx, { by: principalOf(request), query: request.query }),
  );
  app.get(
    '/api/v1/reports/days.csv',
    {
      schema: {
        tags: ['reports'],
        summary: "A report's numbers as CSV, one row per day of the period",
        description: `A download (\`text/csv\`, RFC 4180, CRLF): a header row, then per day \`day,${TOTALS_COLUMNS.join(',')}\`. Times in seconds, an empty cell for nothing counted.`,
        querystring: ReportQuery.strict(),
      },
    },
    async (request, reply) => {
      const days = await getReportDays(ctx, { by: principalOf(request), query: request.query });
      return presentCsv(reply, {
        fileName: `report-${request.query.from}-${request.query.to}-days.csv`,
        header: ['day', ...TOTALS_COLUMNS],
        rows: days.map((day) => [day.day, ...totalsCells(day.totals)]),
      });
    },
  );
  app.get(
    '/api/v1/reports/operators.csv',
    {
      schema: {
        tags: ['reports'],
        summary: "A report's operators' table as CSV, one row per operator, the busiest first",
        description: `A download (\`text/csv\`, RFC 4180, CRLF): a header row, then per operator \`${OPERATOR_COLUMNS.join(',')}\`. Times in seconds, an empty cell for nothing counted.`,
        querystring: ReportQuery.strict(),
      },
    },
    async (request, reply) => {
      const operators = await getReportOperators(ctx, { by: principalOf(request), query: request.query });
      return presentCsv(reply, {
        fileName: `report-${request.query.from}-${request.query.to}-operators.csv`,
        header: OPERATOR_COLUMNS,
        rows: operators.map((row) => [
          row.operatorId,
          String(row.conversations),
          String(row.messages),
          seconds(row.firstResponse.averageMs),
          seconds(row.firstResponse.medianMs),
          seconds(row.firstResponse.p90Ms),
          seconds(row.duration.averageMs),
          seconds(row.duration.medianMs),
          seconds(row.duration.p90Ms),
          String(row.ratings.count),
          cell(row.ratings.average),
        ]),
      });
    },
  );
}
