import { useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { saveFile } from '../../lib/save-file.js';
import { csvPath, type CsvTable, type ReportFilters } from './report-query.js';

const TABLES: readonly { table: CsvTable; label: string }[] = [
  { table: 'days', label: 'Days (CSV)' },
  { table: 'operators', label: 'Operators (CSV)' },
];

/**
 * The report's tables as CSV files, with the period and filters shown. Fetched with the session and
 * handed to the browser's downloads (lib/save-file.ts), so a refusal shows the API's message here.
 */
export function CsvDownloads(props: { api: Api; filters: ReportFilters; disabled: boolean }) {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ text: string; error: boolean } | null>(null);
  const download = async (table: CsvTable) => {
    setBusy(true);
    setStatus(null);
    try {
      const { blob, fileName } = await props.api.download('GET', csvPath(table, props.filters));
      saveFile(blob, fileName);
      setStatus({ text: `Downloaded ${fileName}.`, error: false });
    } catch (caught) {
      setStatus({ text: errorText(caught), error: true });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="report-downloads" role="group" aria-label="Download as CSV">
      <span class="muted">Download:</span>
      {TABLES.map(({ table, label }) => (
        <button key={table} type="button" disabled={busy || props.disabled} onClick={() => void download(table)}>
          {label}
        </button>
      ))}
      {status && (
        <span role={status.error ? 'alert' : 'status'} class={status.error ? 'error' : 'muted'}>
          {status.text}
        </span>
      )}
    </div>
  );
}
