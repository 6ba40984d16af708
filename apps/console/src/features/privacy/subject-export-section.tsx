import { useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { href } from '../../lib/router.js';
import { ErrorLine } from '../settings/settings-ui.js';
import { downloadExport } from './export-data.js';

/**
 * A subject access export by email (admins and owners): everything kept about the contact(s) with
 * that email, as a zip. The email travels in the request's body, never in an address.
 */
export function SubjectExportSection(props: { api: Api }) {
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setDone(null);
    setError(null);
    try {
      const fileName = await downloadExport(props.api, {
        method: 'POST',
        path: '/api/v1/exports',
        body: { email: email.trim() },
      });
      setDone(`Downloaded ${fileName}.`);
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="privacy-section" aria-labelledby="subject-export">
      <h2 id="subject-export">Subject access export</h2>
      <p class="settings-help">
        When someone asks what you keep about them: a zip with their contact details, their conversations (messages,
        notes and files) and a machine-readable <code>export.json</code>. One contact at a time can also be exported
        from <a href={href('/contacts')}>Contacts</a>, with "Export data" on their page.
      </p>
      <form class="settings-form" aria-label="Export by email" onSubmit={(event) => void run(event)}>
        <label>
          Email of the person
          <input type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <div class="settings-row">
          <button type="submit" disabled={busy || email.trim() === ''}>
            {busy ? 'Preparing…' : 'Export'}
          </button>
          {done && <span role="status">{done}</span>}
        </div>
        <ErrorLine text={error} />
      </form>
    </section>
  );
}
