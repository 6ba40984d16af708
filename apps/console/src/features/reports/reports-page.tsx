import type { ReportDto, WidgetDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { navigate, useRoute } from '../../lib/router.js';
import { useStore } from '../../lib/store.js';
import type { Live } from '../../live/live.js';
import '../settings/settings.css';
import { BusiestHours } from './busiest-hours.js';
import { DailyChart } from './charts.js';
import { CsvDownloads } from './csv-downloads.js';
import { FigureCards, RatingsPanel, TimeSummary } from './figures.js';
import { OperatorsTable } from './operators-table.js';
import { PeriodPicker } from './period-picker.js';
import { countText, dayText, previousPeriodText } from './report-format.js';
import { filtersOf, reportPath, reportsAddress, reportSearch, type ReportFilters } from './report-query.js';
import { daysIn, DEFAULT_PRESET, presetRange } from './report-range.js';
import { TimeZoneSetting } from './time-zone-setting.js';
import './reports.css';

/** How long the page waits after a change before it asks for the report: typing a date is several changes. */
const SETTLE_MS = 200;

/**
 * Reports, at `/app/reports?from=…&to=…&widgetId=…&operatorId=…` (admins and owners; loaded on the
 * first visit, with uPlot). The address holds the period and filters, so a reload or a shared link
 * shows the same report; without a period it opens the last 30 days of the account's time zone.
 */
export function ReportsPage(props: { api: Api; live: Live }) {
  const { api, live } = props;
  const account = useStore(live.account);
  const operators = useStore(live.operators);
  const filters = filtersOf(useRoute().query);
  const timeZone = account?.timeZone;
  const [widgets, setWidgets] = useState<readonly WidgetDto[]>([]);
  const [widgetsError, setWidgetsError] = useState<string | null>(null);
  const [report, setReport] = useState<ReportDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    void live.loadAccount();
    api.request<{ widgets: WidgetDto[] }>('GET', '/api/v1/widgets').then(
      (found) => setWidgets(found.widgets),
      (caught: unknown) => setWidgetsError(`The widgets could not be read: ${errorText(caught)}`),
    );
  }, []);

  const show = (next: ReportFilters) => navigate(reportsAddress(next), { replace: true });
  useEffect(() => {
    if (timeZone && !filters.from && !filters.to) {
      show({ ...filters, ...presetRange(DEFAULT_PRESET, { timeZone, now: Date.now() }) });
    }
  }, [timeZone, filters.from, filters.to]);

  const search = reportSearch(filters);
  const incomplete = !filters.from || !filters.to;
  useEffect(() => {
    // Nothing is asked for an incomplete period: a request it cut short is not pending any more.
    if (!timeZone || incomplete) {
      setLoading(false);
      return;
    }
    // Answers arrive in any order: only the one for what is chosen now is shown.
    let current = true;
    setLoading(true);
    const timer = setTimeout(() => {
      api
        .request<ReportDto>('GET', reportPath(filters))
        .then(
          (found) => {
            if (!current) return;
            setReport(found);
            setError(null);
          },
          (caught: unknown) => {
            if (current) setError(errorText(caught));
          },
        )
        .finally(() => {
          if (current) setLoading(false);
        });
    }, SETTLE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [search, timeZone]);

  // A report still shown under a refused period says whose figures they are.
  const stale = report && error ? ` The report below is still that of ${periodText(report)}.` : '';
  // The API's messages end without a full stop; the note after one needs it.
  const said = error && !/[.!?]$/.test(error) ? `${error}.` : error;
  // Both days empty is the navigation's link, which opens the default period; one alone is a gap.
  const pickerError =
    incomplete && (filters.from || filters.to) ? 'Choose a first and a last day.' : said && `${said}${stale}`;
  return (
    <section class="page settings reports-page" aria-labelledby="reports-title">
      <div class="settings-body">
        <div class="reports-head">
          <h1 id="reports-title">Reports</h1>
          <TimeZoneSetting api={api} live={live} />
        </div>
        {!timeZone ? (
          <p class="loading">Loading…</p>
        ) : (
          <>
            <PeriodPicker
              filters={filters}
              timeZone={timeZone}
              widgets={widgets}
              operators={operators}
              error={pickerError || null}
              onChange={show}
            />
            {widgetsError && (
              <p role="alert" class="error">
                {widgetsError}
              </p>
            )}
            <CsvDownloads api={api} filters={filters} disabled={incomplete} />
          </>
        )}
        {report && (
          <div class="report" aria-busy={loading}>
            <p class="report-period">
              {periodText(report)}, in {report.timeZone}; compared with the {previousPeriodText(daysIn(report))} (
              {dayText(report.previous.from)} – {dayText(report.previous.to)}).
            </p>
            <FigureCards report={report} />
            <section class="report-panel" aria-labelledby="daily-title">
              <h2 id="daily-title">{report.operatorId ? 'Conversations closed per day' : 'Conversations per day'}</h2>
              <DailyChart days={report.days} byOperator={report.operatorId !== null} label={dailySummary(report)} />
            </section>
            <div class="report-columns">
              <TimeSummary report={report} time="firstResponse" />
              <TimeSummary report={report} time="duration" />
              <RatingsPanel report={report} />
            </div>
            <BusiestHours grid={report.busiestHours} timeZone={report.timeZone} />
            <OperatorsTable rows={report.operators} operators={operators} />
          </div>
        )}
      </div>
    </section>
  );
}

/** "1 Mar 2026 – 30 Mar 2026": the period of a report. */
function periodText(report: ReportDto): string {
  return report.from === report.to ? dayText(report.from) : `${dayText(report.from)} – ${dayText(report.to)}`;
}

/** What the daily chart shows, for those who cannot see it. */
function dailySummary(report: ReportDto): string {
  const { conversations } = report.totals;
  const counted = report.operatorId ? 'conversations closed' : 'conversations';
  return (
    `Per day, ${periodText(report)}: ${countText(conversations.total)} ${counted}, ` +
    `${countText(conversations.answered)} answered, ${countText(conversations.missed)} missed, ` +
    `${countText(conversations.offline)} offline messages.`
  );
}
