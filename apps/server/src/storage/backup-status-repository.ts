import type { BackupInfo, BackupVerification } from '../backup/backups.js';
import { getMeta, setMeta } from './meta-repository.js';
import type { Executor } from './schema.js';

/** What the installation knows of its backups: the last one taken, and the newest a restore proved. */
export interface BackupStatus {
  last: RecordedBackup | undefined;
  newestVerified: RecordedBackup | undefined;
}

/** A backup as recorded: ids, times and sizes only. */
export interface RecordedBackup {
  id: string;
  createdAt: number;
  bytes: number;
  verifiedAt: number;
  ok: boolean;
}

const LAST = 'backup_last';
const NEWEST_VERIFIED = 'backup_newest_verified';

/** Records a backup taken and its verification (meta `backup_last`, and `backup_newest_verified` when it held). */
export async function recordBackup(
  db: Executor,
  input: { info: BackupInfo; verification: BackupVerification },
): Promise<void> {
  const recorded: RecordedBackup = {
    id: input.info.id,
    createdAt: input.info.createdAt,
    bytes: input.info.dataBytes + input.info.keyringBytes,
    verifiedAt: input.verification.at,
    ok: input.verification.ok,
  };
  await setMeta(db, LAST, JSON.stringify(recorded));
  if (recorded.ok) await setMeta(db, NEWEST_VERIFIED, JSON.stringify(recorded));
}

/** The backups recorded; none before the first. */
export async function backupStatus(db: Executor): Promise<BackupStatus> {
  const read = async (key: string) => {
    const value = await getMeta(db, key);
    return value === undefined ? undefined : (JSON.parse(value) as RecordedBackup);
  };
  return { last: await read(LAST), newestVerified: await read(NEWEST_VERIFIED) };
}
