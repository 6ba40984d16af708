import type { Config } from '../config/config.js';
import { LocalDirectoryTarget } from './local-directory-target.js';
import type { BackupTarget } from './targets.js';

/**
 * The backup target the configuration asks for: the bucket of `BACKUP_S3_BUCKET` when it is set,
 * otherwise the directory `BACKUP_DIR` (by default `DATA_DIR/backups`). The one place that chooses;
 * the composition root calls it once.
 */
export async function createBackupTarget(config: Pick<Config, 'backup'>): Promise<BackupTarget> {
  const { target } = config.backup;
  switch (target.kind) {
    case 'directory':
      return new LocalDirectoryTarget(target.directory);
    case 's3': {
      // Loaded only when used: importing the AWS SDK takes 0.25–0.4 s, which a local target need not pay.
      const { S3Target } = await import('./s3-target.js');
      return new S3Target(target);
    }
  }
}
