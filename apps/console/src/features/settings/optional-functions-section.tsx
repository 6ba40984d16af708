import type { AccountFunctionChange, AccountFunctionDto, OptionalFunction, SessionDto } from '@plauder/protocol';
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { may } from '../../roles.js';
import { functionStatusText, processorLines } from './function-status.js';
import './optional-functions-section.css';
import { ErrorLine } from './settings-ui.js';

/**
 * The account's optional functions (docs/OPTIONAL-FUNCTIONS.md): each one's switch, whether it runs,
 * and whom it sends data to, which makes the account's sub-processor list. Every role reads them;
 * admins and owners turn them on and off.
 */
export function OptionalFunctionsSection(props: { api: Api; session: SessionDto }) {
  const { api } = props;
  const editor = may(props.session.operator.role, 'manageAccount');
  const [functions, setFunctions] = useState<AccountFunctionDto[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  // The last refusal, beside the function it was for.
  const [refused, setRefused] = useState<{ fn: OptionalFunction; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () =>
    api
      .request<{ functions: AccountFunctionDto[] }>('GET', '/api/v1/account/functions')
      .then((found) => setFunctions(found.functions), setError);
  useEffect(() => {
    void load();
  }, []);

  const toggle = async (fn: AccountFunctionDto, enabled: boolean) => {
    setBusy(true);
    setRefused(null);
    const change: AccountFunctionChange = { enabled };
    try {
      const changed = await api.request<AccountFunctionDto>('PUT', `/api/v1/account/functions/${fn.function}`, change);
      setFunctions((current) => current?.map((f) => (f.function === changed.function ? changed : f)) ?? null);
    } catch (caught) {
      setRefused({ fn: fn.function, text: errorText(caught) });
      // The switch shows what the server holds, not the click it refused.
      await load();
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h2>Optional functions</h2>
      <p class="settings-help">
        Each sends data to a party outside this installation, so it runs only when it is turned on, your plan includes
        it and the installation is set up for it. While it runs, whom it sends to is a sub-processor of your account:
        this is that list, made from the installation's settings, not written by hand.
        {!editor && ' Admins and owners turn them on and off.'}
      </p>
      <ErrorLine text={error ? errorText(error) : null} />
      {functions === null ? (
        !error && <p class="loading">Loading…</p>
      ) : (
        <ul class="function-list">
          {functions.map((fn) => (
            <li key={fn.function}>
              <label class="check">
                <input
                  type="checkbox"
                  checked={fn.enabled}
                  disabled={!editor || busy}
                  onChange={(e) => void toggle(fn, e.currentTarget.checked)}
                />
                <strong>{fn.title}</strong>
              </label>
              <p role="status">{functionStatusText(fn)}</p>
              <ErrorLine text={refused?.fn === fn.function ? refused.text : null} />
              <dl class="function-processor">
                {processorLines(fn.processor).map(([label, text]) => (
                  <Fragment key={label}>
                    <dt>{label}</dt>
                    <dd>{text}</dd>
                  </Fragment>
                ))}
              </dl>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
