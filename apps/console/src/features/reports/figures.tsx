import type { ReportDto } from '@plauder/protocol';
import { RatingChart } from './charts.js';
import {
  averageText,
  changeAgainst,
  countText,
  durationText,
  percentText,
  previousPeriodText,
  type Better,
  type Change,
} from './report-format.js';
import { daysIn } from './report-range.js';

/** One figure of the period beside the same figure of the period before. */
interface Figure {
  label: string;
  value: string;
  change: Change;
}

function figure(
  label: string,
  values: { now: number | null; before: number | null },
  options: { days: number; better: Better; format: (value: number) => string },
): Figure {
  return {
    label,
    value: values.now === null ? '–' : options.format(values.now),
    change: changeAgainst(values.now, values.before, options),
  };
}

/**
 * The report's totals as cards, each with its change against the previous period of the same
 * length. With an operator filter, the conversations are those the operator closed.
 */
export function FigureCards(props: { report: ReportDto }) {
  const { totals: now, previousTotals: before } = props.report;
  const days = daysIn(props.report);
  const count = (better: Better) => ({ days, better, format: countText });
  const time = (better: Better) => ({ days, better, format: durationText });
  const average = (better: Better) => ({ days, better, format: averageText });
  const figures = [
    figure(
      props.report.operatorId ? 'Conversations closed' : 'Conversations',
      { now: now.conversations.total, before: before.conversations.total },
      count('neither'),
    ),
    figure('Answered', { now: now.conversations.answered, before: before.conversations.answered }, count('higher')),
    figure('Missed', { now: now.conversations.missed, before: before.conversations.missed }, count('lower')),
    figure(
      'Offline messages',
      { now: now.conversations.offline, before: before.conversations.offline },
      count('neither'),
    ),
    figure(
      'First response, average',
      { now: now.firstResponse.averageMs, before: before.firstResponse.averageMs },
      time('lower'),
    ),
    figure('Duration, average', { now: now.duration.averageMs, before: before.duration.averageMs }, time('neither')),
    figure(
      'Messages per conversation',
      { now: now.messages.perConversation, before: before.messages.perConversation },
      average('neither'),
    ),
    figure('Rating, average', { now: now.ratings.average, before: before.ratings.average }, average('higher')),
  ];
  return (
    <ul class="report-figures" aria-label="Totals">
      {figures.map((shown) => (
        <li key={shown.label} class="report-figure">
          <span class="figure-label">{shown.label}</span>
          <strong class="figure-value">{shown.value}</strong>
          <span class={`figure-change change-${shown.change.tone}`}>{shown.change.text}</span>
        </li>
      ))}
    </ul>
  );
}

/** The times a report summarises: their title and what they measure. */
const TIMES = {
  firstResponse: {
    title: 'First response',
    measures: (count: string) =>
      `Time from the start of a conversation to an operator's first answer, over ${count} answered conversations.`,
  },
  duration: {
    title: 'Duration',
    measures: (count: string) =>
      `Time from the start of a conversation to its close, over ${count} closed conversations.`,
  },
} as const;

/**
 * A time of the period (the first response or the duration): average, median and 90th percentile
 * beside those of the period before. The percentiles are estimated from time buckets
 * (docs/REPORTS.md), to within a bucket.
 */
export function TimeSummary(props: { report: ReportDto; time: keyof typeof TIMES }) {
  const { totals, previousTotals } = props.report;
  const [now, before] = [totals[props.time], previousTotals[props.time]];
  const { title, measures } = TIMES[props.time];
  const titleId = `${props.time}-title`;
  const days = daysIn(props.report);
  const rows = [
    { label: 'Average', now: now.averageMs, before: before.averageMs },
    { label: 'Median', now: now.medianMs, before: before.medianMs },
    { label: '90th percentile', now: now.p90Ms, before: before.p90Ms },
  ];
  return (
    <section class="report-panel" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <p class="settings-help">{measures(countText(now.count))}</p>
      <table class="settings-table report-table">
        <thead>
          <tr>
            <th scope="col">
              <span class="sr-only">Measure</span>
            </th>
            <th scope="col">This period</th>
            <th scope="col">{capitalized(previousPeriodText(days))}</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const better = props.time === 'firstResponse' ? 'lower' : 'neither';
            const change = changeAgainst(row.now, row.before, { days, better, format: durationText });
            return (
              <tr key={row.label}>
                <th scope="row">{row.label}</th>
                <td class="number">{durationText(row.now)}</td>
                <td class="number">{durationText(row.before)}</td>
                <td class={`number change-${change.tone}`}>{percentText(row.now, row.before) ?? '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p class="settings-help">The median and the 90th percentile are estimated from time buckets, to within one.</p>
    </section>
  );
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** How the conversations of the period were rated, one to five stars. */
export function RatingsPanel(props: { report: ReportDto }) {
  const { ratings } = props.report.totals;
  const summary =
    ratings.count === 0
      ? 'No conversation was rated in this period.'
      : `${countText(ratings.count)} ${ratings.count === 1 ? 'rating' : 'ratings'}, ${averageText(ratings.average)} stars on average.`;
  const bars = ratings.distribution.map((n, index) => `${index + 1} stars: ${countText(n)}`).join(', ');
  return (
    <section class="report-panel" aria-labelledby="ratings-title">
      <h2 id="ratings-title">Ratings</h2>
      <p class="settings-help">{summary}</p>
      <RatingChart distribution={ratings.distribution} label={`Ratings by stars. ${bars}`} />
    </section>
  );
}
