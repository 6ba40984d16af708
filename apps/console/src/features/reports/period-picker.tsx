import type { OperatorDto, WidgetDto } from '@plauder/protocol';
import { REMOVED_OPERATOR } from './report-format.js';
import type { ReportFilters } from './report-query.js';
import { PRESETS, presetOf, presetRange } from './report-range.js';

const CUSTOM = 'custom';

/**
 * The period (a preset, or the first and last day) and the filters of a report. Presets are taken in
 * the account's time zone. `error` is what is wrong with the period or filters, said beside them.
 */
export function PeriodPicker(props: {
  filters: ReportFilters;
  timeZone: string;
  widgets: readonly WidgetDto[];
  operators: readonly OperatorDto[];
  error: string | null;
  onChange: (filters: ReportFilters) => void;
}) {
  const { filters, onChange } = props;
  const preset = presetOf(filters, { timeZone: props.timeZone, now: Date.now() }) ?? CUSTOM;
  const change = (next: Partial<ReportFilters>) => onChange({ ...filters, ...next });
  const choose = (value: string) => {
    const chosen = PRESETS.find(({ id }) => id === value);
    if (chosen) change(presetRange(chosen.id, { timeZone: props.timeZone, now: Date.now() }));
  };
  // A filter the address names that the lists do not (removed since): kept, with a neutral label.
  const unknownWidget = filters.widgetId && !props.widgets.some((w) => w.id === filters.widgetId);
  const unknownOperator = filters.operatorId && !props.operators.some((o) => o.id === filters.operatorId);
  return (
    <form class="report-picker" aria-label="Report period and filters" onSubmit={(event) => event.preventDefault()}>
      <div class="report-picker-fields">
        <label>
          Period
          <select value={preset} onChange={(event) => choose(event.currentTarget.value)}>
            {PRESETS.map(({ id, label }) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
            <option value={CUSTOM}>Custom</option>
          </select>
        </label>
        <label>
          From
          <input
            type="date"
            value={filters.from}
            aria-invalid={props.error ? true : undefined}
            aria-describedby={props.error ? 'report-error' : undefined}
            onInput={(event) => change({ from: event.currentTarget.value })}
          />
        </label>
        <label>
          To
          <input
            type="date"
            value={filters.to}
            aria-invalid={props.error ? true : undefined}
            aria-describedby={props.error ? 'report-error' : undefined}
            onInput={(event) => change({ to: event.currentTarget.value })}
          />
        </label>
        <label>
          Widget
          <select value={filters.widgetId} onChange={(event) => change({ widgetId: event.currentTarget.value })}>
            <option value="">All widgets</option>
            {props.widgets.map((widget) => (
              <option key={widget.id} value={widget.id}>
                {widget.name}
              </option>
            ))}
            {unknownWidget && <option value={filters.widgetId}>Unknown widget</option>}
          </select>
        </label>
        <label>
          Operator
          <select value={filters.operatorId} onChange={(event) => change({ operatorId: event.currentTarget.value })}>
            <option value="">All operators</option>
            {props.operators.map((operator) => (
              <option key={operator.id} value={operator.id}>
                {operator.displayName}
              </option>
            ))}
            {unknownOperator && <option value={filters.operatorId}>{REMOVED_OPERATOR}</option>}
          </select>
        </label>
      </div>
      {props.error && (
        <p role="alert" class="error" id="report-error">
          {props.error}
        </p>
      )}
    </form>
  );
}
