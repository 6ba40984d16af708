import type { BusinessHours } from '@plauder/protocol';
import { useMemo } from 'preact/hooks';
import { ErrorLine } from './settings-ui.js';

/** The weekdays as the protocol numbers them (0 Sunday), listed from Monday. */
const DAYS = [
  { day: 1, name: 'Monday' },
  { day: 2, name: 'Tuesday' },
  { day: 3, name: 'Wednesday' },
  { day: 4, name: 'Thursday' },
  { day: 5, name: 'Friday' },
  { day: 6, name: 'Saturday' },
  { day: 0, name: 'Sunday' },
];
/** The most spans the protocol takes in a week. */
const MAX_SPANS = 21;

/** Hours to start from: Monday to Friday, 9 to 5, in this browser's time zone. */
function firstHours(): BusinessHours {
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return { timeZone, spans: [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '17:00' })) };
}

/**
 * The widget's business hours: none (chats whenever an operator is online), or a time zone and
 * opening spans per weekday. A span whose close is not after its open runs past midnight.
 */
export function BusinessHoursFields(props: {
  hours: BusinessHours | null;
  onChange: (hours: BusinessHours | null) => void;
  error: string | undefined;
}) {
  const { hours, onChange } = props;
  const zones = useMemo(() => Intl.supportedValuesOf('timeZone'), []);
  const setSpan = (index: number, change: Partial<BusinessHours['spans'][number]>) =>
    hours && onChange({ ...hours, spans: hours.spans.map((span, i) => (i === index ? { ...span, ...change } : span)) });

  return (
    <fieldset class="business-hours">
      <legend>Business hours</legend>
      <label class="check">
        <input
          type="checkbox"
          checked={hours !== null}
          onChange={(e) => onChange(e.currentTarget.checked ? firstHours() : null)}
        />
        Fixed business hours (outside them, visitors can leave a message)
      </label>
      {hours && (
        <>
          <label>
            Time zone
            <input
              list="settings-time-zones"
              required
              maxLength={64}
              value={hours.timeZone}
              onInput={(e) => onChange({ ...hours, timeZone: e.currentTarget.value })}
            />
          </label>
          <datalist id="settings-time-zones">
            {zones.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
          {DAYS.map(({ day, name }) => {
            const spans = hours.spans.map((span, index) => ({ span, index })).filter(({ span }) => span.day === day);
            return (
              <div class="day" key={day} role="group" aria-label={name}>
                <span class="day-name">{name}</span>
                <div class="spans">
                  {spans.length === 0 && <span class="muted">closed</span>}
                  {spans.map(({ span, index }) => (
                    <span class="span" key={index}>
                      <input
                        type="time"
                        required
                        aria-label={`${name} opens`}
                        value={span.open}
                        onInput={(e) => setSpan(index, { open: e.currentTarget.value })}
                      />
                      –
                      <input
                        type="time"
                        required
                        aria-label={`${name} closes`}
                        value={span.close}
                        onInput={(e) => setSpan(index, { close: e.currentTarget.value })}
                      />
                      <button
                        type="button"
                        aria-label={`Remove ${name} ${span.open}–${span.close}`}
                        onClick={() => onChange({ ...hours, spans: hours.spans.filter((_, i) => i !== index) })}
                      >
                        ×
                      </button>
                    </span>
                  ))}
                </div>
                <button
                  type="button"
                  aria-label={`Add hours on ${name}`}
                  disabled={hours.spans.length >= MAX_SPANS}
                  onClick={() =>
                    onChange({ ...hours, spans: [...hours.spans, { day, open: '09:00', close: '17:00' }] })
                  }
                >
                  Add hours
                </button>
              </div>
            );
          })}
          <p class="settings-help">
            A span that closes before it opens runs past midnight. At most {MAX_SPANS} spans a week.
          </p>
        </>
      )}
      <ErrorLine text={props.error} />
    </fieldset>
  );
}
