import { useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { saveFile } from '../../lib/save-file.js';

/** Fetches a subject access export (a zip) and hands it to the browser's downloads; answers its file name. */
export async function downloadExport(
  api: Api,
  request: { method: 'GET' | 'POST'; path: string; body?: unknown },
): Promise<string> {
  const { blob, fileName } = await api.download(request.method, request.path, request.body);
  saveFile(blob, fileName);
  return fileName;
}

/** "Export data" of one contact (admins and owners): everything kept about them, as a zip. */
export function ContactExportButton(props: { api: Api; contactId: string }) {
  const [status, setStatus] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setStatus({ text: 'Preparing the export…', error: false });
    try {
      const path = `/api/v1/contacts/${encodeURIComponent(props.contactId)}/export`;
      const fileName = await downloadExport(props.api, { method: 'GET', path });
      setStatus({ text: `Downloaded ${fileName}.`, error: false });
    } catch (caught) {
      setStatus({ text: errorText(caught), error: true });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="export-data">
      <h2>Export</h2>
      <p>
        Everything kept about this contact — their details, their conversations with messages and notes, and the files —
        as a zip, for a subject access request.
      </p>
      <button type="button" disabled={busy} onClick={() => void run()}>
        Export data
      </button>{' '}
      {status && (
        <span role={status.error ? 'alert' : 'status'} class={status.error ? 'error' : 'muted'}>
          {status.text}
        </span>
      )}
    </div>
  );
}
