import path from 'node:path';
import type { Config } from '../../config/config.js';
import type { FileStore } from './file-store.js';
import { LocalFileStore } from './local-file-store.js';

/** The folder of DATA_DIR that holds the local file store. */
export const FILES_FOLDER = 'files';

/**
 * The file store the configuration asks for: S3 when `S3_BUCKET` is set, otherwise a local directory
 * `DATA_DIR/files`. The one place that chooses; the composition root calls it once at start.
 */
export async function createFileStore(config: Pick<Config, 'dataDir' | 's3'>): Promise<FileStore> {
  if (config.s3 === undefined) return new LocalFileStore({ directory: path.join(config.dataDir, FILES_FOLDER) });
  // Loaded only when used: importing the AWS SDK takes 0.25–0.4 s, which a local store need not pay.
  const { S3FileStore } = await import('./s3-file-store.js');
  return new S3FileStore(config.s3);
}
