import type { PrivacyReportDto, PrivacyReportLineDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { ErrorLine } from '../settings/settings-ui.js';

/** A line's mark, in words (a colour alone would not tell everyone). */
export function holdsText(line: Pick<PrivacyReportLineDto, 'holds'>): string {
  return line.holds ? '✓ Holds' : '✗ Does not hold';
}

/** The report in one sentence: every line holds, or how many do not. */
export function reportSummary(report: PrivacyReportDto): string {
  const lines = [...report.installation, ...report.accounts.flatMap((account) => account.lines)];
  const failing = lines.filter((line) => !line.holds).length;
  if (failing === 0) return `All ${lines.length} checks hold.`;
  return `${failing} of ${lines.length} checks ${failing === 1 ? 'does' : 'do'} not hold: see below.`;
}

function ReportTable(props: { caption: string; lines: readonly PrivacyReportLineDto[] }) {
  return (
    <table class="settings-table privacy-report">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Check</th>
          <th scope="col">What was found</th>
        </tr>
      </thead>
      <tbody>
        {props.lines.map((line) => (
          <tr key={line.id} class={line.holds ? 'holds' : 'not-held'}>
            <td class="privacy-report-mark">{holdsText(line)}</td>
            <th scope="row">{line.title}</th>
            <td>{line.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The privacy report (admins and owners): each promise of the installation and of the account checked
 * against the database and the settings as they are now, marked holds or does not hold, the same
 * report `plauder privacy report` prints (docs/PRIVACY.md of the installation).
 */
export function PrivacyReportSection(props: { api: Api }) {
  const [report, setReport] = useState<PrivacyReportDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    props.api.request<PrivacyReportDto>('GET', '/api/v1/privacy/report').then(setReport, (caught: unknown) => {
      setError(errorText(caught));
    });
  }, []);
  const account = report?.accounts[0];
  return (
    <section class="privacy-section" aria-labelledby="privacy-report">
      <h2 id="privacy-report">Privacy report</h2>
      <p class="settings-help">
        Each promise checked against the installation’s database and settings as they are now: where your data is
        stored, who receives it, how long it is kept, and whether backups and keys are current.
      </p>
      {report === null ? (
        !error && <p class="loading">Loading…</p>
      ) : (
        <>
          <p class={report.holds ? 'privacy-report-summary' : 'privacy-report-summary warning'} role="status">
            {reportSummary(report)}
          </p>
          <ReportTable caption="The installation" lines={report.installation} />
          {account && <ReportTable caption={`Your account, ${account.name}`} lines={account.lines} />}
        </>
      )}
      <ErrorLine text={error} />
    </section>
  );
}
