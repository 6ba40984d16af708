import type { WidgetDto } from '@plauder/protocol';
import { BusinessHoursFields } from './business-hours-fields.js';
import { ErrorLine } from './settings-ui.js';
import { widgetWords } from './widget-preview.js';

type Settings = WidgetDto['settings'];

/** A text that may be left empty for the widget's own: empty (or blank) is null. */
const orNull = (value: string): string | null => (value.trim() ? value : null);

/**
 * The widget designer's fields. `origins` is the allowed-origins box as typed (one per line), kept
 * apart from the settings so a line being typed is not reformatted. `errors` by settings path.
 */
export function WidgetForm(props: {
  draft: Settings;
  onChange: (draft: Settings) => void;
  origins: string;
  onOrigins: (origins: string) => void;
  errors: Map<string, string>;
}) {
  const { draft, errors } = props;
  const t = widgetWords(draft.language);
  const set = (change: Partial<Settings>) => props.onChange({ ...draft, ...change });
  const setPrivacy = (change: Partial<Settings['privacy']>) =>
    props.onChange({ ...draft, privacy: { ...draft.privacy, ...change } });
  /** The first error at or below a path, such as every `allowedOrigins.N`. */
  const below = (path: string) =>
    [...errors]
      .filter(([key]) => key === path || key.startsWith(`${path}.`))
      .map(([key, reason]) => {
        const line = /^allowedOrigins\.(\d+)$/.exec(key)?.[1];
        return line === undefined ? reason : `Line ${Number(line) + 1}: ${reason}`;
      })[0];

  return (
    <div class="widget-form">
      <fieldset>
        <legend>Look</legend>
        <div class="settings-row">
          <label>
            Accent color
            <input type="color" value={draft.color} onInput={(e) => set({ color: e.currentTarget.value })} />
          </label>
          <label>
            Text color
            <input type="color" value={draft.textColor} onInput={(e) => set({ textColor: e.currentTarget.value })} />
          </label>
          <label>
            Position
            <select
              value={draft.position}
              onChange={(e) => set({ position: e.currentTarget.value === 'left' ? 'left' : 'right' })}
            >
              <option value="right">Bottom right</option>
              <option value="left">Bottom left</option>
            </select>
          </label>
        </div>
        <ErrorLine text={below('color') ?? below('textColor')} />
      </fieldset>

      <fieldset>
        <legend>Words</legend>
        <label>
          Language
          <select
            value={draft.language}
            onChange={(e) => {
              const value = e.currentTarget.value;
              set({ language: value === 'en' || value === 'de' ? value : 'auto' });
            }}
          >
            <option value="auto">The visitor's browser (English or German)</option>
            <option value="en">English</option>
            <option value="de">German</option>
          </select>
        </label>
        <label>
          Button label
          <input
            maxLength={40}
            placeholder={t.button}
            value={draft.buttonLabel ?? ''}
            onInput={(e) => set({ buttonLabel: orNull(e.currentTarget.value) })}
          />
        </label>
        <ErrorLine text={below('buttonLabel')} />
        <label>
          Greeting
          <textarea
            maxLength={500}
            rows={2}
            placeholder={t.greeting}
            value={draft.greeting ?? ''}
            onInput={(e) => set({ greeting: orNull(e.currentTarget.value) })}
          />
        </label>
        <ErrorLine text={below('greeting')} />
        <label>
          Operator shown to visitors
          <select
            value={draft.operatorDisplay}
            onChange={(e) => {
              const value = e.currentTarget.value;
              set({ operatorDisplay: value === 'name' || value === 'hidden' ? value : 'name-and-avatar' });
            }}
          >
            <option value="name-and-avatar">Name and avatar</option>
            <option value="name">Name only</option>
            <option value="hidden">Neither (“Support”)</option>
          </select>
        </label>
      </fieldset>

      <fieldset>
        <legend>Privacy</legend>
        <label class="check">
          <input
            type="checkbox"
            checked={draft.privacy.optIn}
            onChange={(e) => setPrivacy({ optIn: e.currentTarget.checked })}
          />
          Ask for the visitor's consent before the first message (opt-in)
        </label>
        <label>
          Privacy policy link
          <input
            type="url"
            maxLength={2048}
            placeholder="https://www.example.com/privacy"
            value={draft.privacy.policyUrl ?? ''}
            onInput={(e) => setPrivacy({ policyUrl: orNull(e.currentTarget.value.trim()) })}
          />
        </label>
        <ErrorLine text={below('privacy.policyUrl')} />
        <label>
          Privacy notice
          <textarea
            maxLength={1000}
            rows={4}
            placeholder={t.notice}
            value={draft.privacy.noticeText ?? ''}
            aria-describedby="notice-help"
            onInput={(e) => setPrivacy({ noticeText: orNull(e.currentTarget.value) })}
          />
        </label>
        <p class="settings-help" id="notice-help">
          Empty: the built-in notice in the widget's language. Your own text is shown in every language, with the policy
          link; consent records name the text's version, and after a change visitors are asked again.
        </p>
        <ErrorLine text={below('privacy.noticeText') ?? below('privacy')} />
      </fieldset>

      <fieldset>
        <legend>Where it runs</legend>
        <label>
          Allowed sites (one origin per line; empty: any site)
          <textarea
            rows={3}
            spellcheck={false}
            placeholder="https://www.example.com"
            value={props.origins}
            onInput={(e) => props.onOrigins(e.currentTarget.value)}
          />
        </label>
        <ErrorLine text={below('allowedOrigins')} />
      </fieldset>

      <BusinessHoursFields
        hours={draft.businessHours}
        onChange={(businessHours) => set({ businessHours })}
        error={below('businessHours')}
      />
    </div>
  );
}
