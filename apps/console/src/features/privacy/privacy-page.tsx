import type { SessionDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../../api.js';
import type { Live } from '../../live/live.js';
import { may } from '../../roles.js';
import '../settings/settings.css';
import { BackupsSection } from './backups-section.js';
import { BulkDeleteSection } from './bulk-delete-section.js';
import { CloseAccountSection } from './close-account-section.js';
import './privacy.css';
import { PrivacyReportSection } from './privacy-report-section.js';
import { RecentJobs } from './recent-jobs.js';
import { RetentionSection } from './retention-section.js';
import { SubjectExportSection } from './subject-export-section.js';

/**
 * Privacy, at `/app/privacy` (admins and owners; loaded on first visit): retention and IP display,
 * bulk delete with its jobs, subject access exports, the installation's backups, the privacy report,
 * and — for owners — closing the account.
 */
export function PrivacyPage(props: { api: Api; live: Live; session: SessionDto }) {
  const { api, live } = props;
  // Bumped when a job starts or ends here: the list of jobs is read again.
  const [jobsVersion, setJobsVersion] = useState(0);
  useEffect(() => {
    void live.loadAccount();
  }, []);
  return (
    <section class="page settings privacy-page" aria-labelledby="privacy-title">
      <div class="settings-body">
        <h1 id="privacy-title">Privacy</h1>
        <p class="settings-help">
          What the account keeps, for how long, and how to hand out or erase it (docs/PRIVACY.md of the installation).
        </p>
        <RetentionSection api={api} live={live} />
        <BulkDeleteSection
          api={api}
          live={live}
          onStarted={() => setJobsVersion((n) => n + 1)}
          onFinished={() => {
            setJobsVersion((n) => n + 1);
            // The job erased conversations the inbox may still show; no socket event tells of them.
            void live.reread();
          }}
        />
        <RecentJobs api={api} version={jobsVersion} />
        <SubjectExportSection api={api} />
        <BackupsSection api={api} />
        <PrivacyReportSection api={api} />
        {may(props.session.operator.role, 'closeAccount') && <CloseAccountSection api={api} live={live} />}
      </div>
    </section>
  );
}
