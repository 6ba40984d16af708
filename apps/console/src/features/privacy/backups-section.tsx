import type { BackupHealthDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { ErrorLine } from '../settings/settings-ui.js';

/** What the Backups section says of the backups' health: one sentence, and whether it is a warning. */
export function backupHealthText(health: BackupHealthDto): { text: string; warning: boolean } {
  const failed = health.lastFailed
    ? ' The last backup did not restore as it was made: the installation’s log says why.'
    : '';
  if (health.ageHours === null) {
    return { text: `No backup of the installation has been verified yet.${failed}`, warning: true };
  }
  const age =
    health.ageHours < 1 ? 'less than an hour' : `${health.ageHours} ${health.ageHours === 1 ? 'hour' : 'hours'}`;
  const text = `The newest backup proven by a restore is ${age} old.`;
  if (health.stale) {
    return {
      text: `${text} Backups run daily: one is overdue (more than ${health.staleAfterHours} hours).${failed}`,
      warning: true,
    };
  }
  return { text: `${text}${failed}`, warning: health.lastFailed };
}

/**
 * The installation's backups (admins and owners): daily, encrypted, each proven by a restore; the age
 * of the newest proven one, and a warning when it is overdue (docs/BACKUPS.md of the installation).
 */
export function BackupsSection(props: { api: Api }) {
  const [health, setHealth] = useState<BackupHealthDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    props.api.request<BackupHealthDto>('GET', '/api/v1/backups/health').then(setHealth, (caught: unknown) => {
      setError(errorText(caught));
    });
  }, []);
  const said = health && backupHealthText(health);
  return (
    <section class="privacy-section" aria-labelledby="backups">
      <h2 id="backups">Backups</h2>
      <p class="settings-help">
        The installation backs up daily, encrypted, and proves each backup by restoring it. A restore leaves out
        everything erased after the backup was made.
      </p>
      {said && (
        <p class={said.warning ? 'backup-health warning' : 'backup-health'} role={said.warning ? 'alert' : 'status'}>
          {said.text}
        </p>
      )}
      <ErrorLine text={error} />
    </section>
  );
}
