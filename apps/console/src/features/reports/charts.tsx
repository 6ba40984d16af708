/**
 * The report's charts, drawn by uPlot on a canvas. Only the Reports page imports this module, and
 * the page is loaded on its first visit, so uPlot stays out of the script every console loads first.
 */
import type { ReportDto } from '@plauder/protocol';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { countText, dayText } from './report-format.js';
import { utcMidnight } from './report-range.js';

/** Tick steps of a count axis: whole numbers only. */
const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000];
const HALF_DAY_S = 12 * 60 * 60;
const AXIS = { stroke: '#60646c', grid: { stroke: '#eceef2', width: 1 }, ticks: { stroke: '#e3e4e8', width: 1 } };

/** The daily series, in the chart's order and colors. */
export const DAILY_SERIES = [
  { key: 'conversations', label: 'Conversations', color: '#2f6fed' },
  { key: 'answered', label: 'Answered', color: '#1e8e3e' },
  { key: 'missed', label: 'Missed', color: '#c5221f' },
  { key: 'offline', label: 'Offline messages', color: '#b06000' },
] as const;

/** A count axis from zero, at least to one, so a period without any shows a flat line at the bottom. */
const fromZero: uPlot.Scale.Range = (_chart, _min, max) => [0, Math.max(1, max)];

/**
 * Draws a uPlot chart in the returned box, as wide as the box, and again when `key` changes;
 * follows the box's width when the window is resized.
 */
function useChart(build: (width: number) => { options: uPlot.Options; data: uPlot.AlignedData }, key: unknown) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const { options, data } = build(element.clientWidth || 600);
    const chart = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => {
      const width = element.clientWidth;
      if (width > 0 && width !== chart.width) chart.setSize({ width, height: chart.height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [key]);
  return box;
}

/**
 * Conversations, answered, missed and offline messages per day of the period. Days are calendar
 * days, not moments: they are placed at UTC midnight and the axis reads them in UTC, so each shows
 * as its own date whatever the browser's time zone.
 */
export function DailyChart(props: { days: ReportDto['days']; byOperator: boolean; label: string }) {
  const { days } = props;
  const box = useChart(
    (width) => ({
      options: {
        width,
        height: 260,
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'UTC'),
        scales: {
          // One day alone would be a range of nothing: half a day either side.
          x: {
            time: true,
            range: (_chart, min, max) => (min === max ? [min - HALF_DAY_S, max + HALF_DAY_S] : [min, max]),
          },
          y: { range: fromZero },
        },
        axes: [AXIS, { ...AXIS, incrs: WHOLE, values: (_chart, ticks) => ticks.map(countText) }],
        series: [
          { label: 'Day', value: (_chart, seconds) => (seconds == null ? '–' : dayText(dayOfSeconds(seconds))) },
          ...DAILY_SERIES.map((series) => ({
            label: series.key === 'conversations' && props.byOperator ? 'Closed' : series.label,
            stroke: series.color,
            width: 2,
            points: { show: days.length <= 62 },
          })),
        ],
      },
      data: [
        days.map((day) => utcMidnight(day.day) / 1000),
        ...DAILY_SERIES.map((series) => days.map((day) => day[series.key])),
      ],
    }),
    days,
  );
  return <div class="report-chart" ref={box} role="img" aria-label={props.label} />;
}

function dayOfSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** How many conversations were rated one to five stars, as bars. */
export function RatingChart(props: { distribution: readonly number[]; label: string }) {
  const box = useChart(
    (width) => ({
      options: {
        width,
        height: 200,
        cursor: { drag: { x: false, y: false } },
        legend: { show: false },
        scales: { x: { time: false, range: [0.5, 5.5] }, y: { range: fromZero } },
        axes: [
          { ...AXIS, grid: { show: false }, incrs: [1], values: (_chart, ticks) => ticks.map((stars) => `${stars} ★`) },
          { ...AXIS, incrs: WHOLE, values: (_chart, ticks) => ticks.map(countText) },
        ],
        series: [
          {},
          {
            label: 'Ratings',
            stroke: '#2f6fed',
            fill: '#2f6fed',
            paths: uPlot.paths.bars?.({ size: [0.6, 64] }),
            points: { show: false },
          },
        ],
      },
      data: [[1, 2, 3, 4, 5], [...props.distribution]],
    }),
    props.distribution.join(),
  );
  return <div class="report-chart" ref={box} role="img" aria-label={props.label} />;
}
