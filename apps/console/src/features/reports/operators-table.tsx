import type { OperatorDto, ReportDto } from '@plauder/protocol';
import { averageText, countText, durationText, operatorLabel } from './report-format.js';

/**
 * Each operator's conversations closed, messages, first response, duration and ratings over the
 * period, the busiest first. Names come from the account's operators; a removed operator's are no
 * longer listed, so their row has a neutral label.
 */
export function OperatorsTable(props: { rows: ReportDto['operators']; operators: readonly OperatorDto[] }) {
  return (
    <section class="report-panel" aria-labelledby="report-operators-title">
      <h2 id="report-operators-title">Operators</h2>
      {props.rows.length === 0 ? (
        <p class="settings-help">No operator answered, closed or was rated in this period.</p>
      ) : (
        <div class="report-table-scroll">
          <table class="settings-table report-table" aria-labelledby="report-operators-title">
            <thead>
              <tr>
                <th scope="col">Operator</th>
                <th scope="col">Conversations closed</th>
                <th scope="col">Messages</th>
                <th scope="col">First response, average</th>
                <th scope="col">Median</th>
                <th scope="col">90th percentile</th>
                <th scope="col">Duration, average</th>
                <th scope="col">Ratings</th>
                <th scope="col">Rating, average</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row) => (
                <tr key={row.operatorId}>
                  <th scope="row">{operatorLabel(row.operatorId, props.operators)}</th>
                  <td class="number">{countText(row.conversations)}</td>
                  <td class="number">{countText(row.messages)}</td>
                  <td class="number">{durationText(row.firstResponse.averageMs)}</td>
                  <td class="number">{durationText(row.firstResponse.medianMs)}</td>
                  <td class="number">{durationText(row.firstResponse.p90Ms)}</td>
                  <td class="number">{durationText(row.duration.averageMs)}</td>
                  <td class="number">{countText(row.ratings.count)}</td>
                  <td class="number">{averageText(row.ratings.average)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
