import { countText, heatLevels } from './report-format.js';

/** Weekdays as the report counts them: 0 is Monday. */
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const HOURS = Array.from({ length: 24 }, (_, hour) => hour);

/**
 * Conversations started per weekday and local hour of the period, as a grid of shades: the darker,
 * the busier, in proportion to the busiest hour. Each cell says its count to a screen reader and on hover.
 */
export function BusiestHours(props: { grid: readonly (readonly number[])[]; timeZone: string }) {
  const levels = heatLevels(props.grid);
  return (
    <section class="report-panel" aria-labelledby="busiest-hours-title">
      <h2 id="busiest-hours-title">Busiest hours</h2>
      <p class="settings-help">Conversations started per weekday and hour, in {props.timeZone}.</p>
      <div class="heatmap-scroll">
        <table class="heatmap" aria-labelledby="busiest-hours-title">
          <thead>
            <tr>
              <th scope="col">
                <span class="sr-only">Weekday</span>
              </th>
              {HOURS.map((hour) => (
                <th key={hour} scope="col">
                  {hour % 3 === 0 ? hour : <span class="sr-only">{hour}</span>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.grid.map((row, weekday) => (
              <tr key={weekday}>
                <th scope="row">{WEEKDAYS[weekday]?.slice(0, 3)}</th>
                {row.map((count, hour) => (
                  <td
                    key={hour}
                    class={`heat-${levels[weekday]?.[hour] ?? 0}`}
                    data-count={count}
                    title={`${WEEKDAYS[weekday]}, ${hour}:00–${hour + 1}:00: ${countText(count)}`}
                  >
                    <span class="sr-only">{countText(count)}</span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="heatmap-legend settings-help" aria-hidden="true">
        Fewer <span class="heat-1" /> <span class="heat-2" /> <span class="heat-3" /> <span class="heat-4" />{' '}
        <span class="heat-5" /> more
      </p>
    </section>
  );
}
