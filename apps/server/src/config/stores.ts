import path from 'node:path';
import { FILES_FOLDER } from '../adapters/file-store/create-file-store.js';
import { SQLITE_FILE } from '../storage/database.js';
import { regionLiesIn, type Config } from './config.js';

/** One store the installation keeps or carries personal data in, and where it is (promise P1). */
export interface DeclaredStore {
  readonly store: 'database' | 'bus' | 'files' | 'backups';
  /** What it is: "SQLite", "PostgreSQL", "Redis", "in-process", "directory", "S3-compatible bucket". */
  readonly kind: string;
  /** Where it is, without credentials: a path, a host and port, a bucket's name. */
  readonly location: string;
  /**
   * The region it is in: the installation's own (DATA_REGION) for what runs with the process or on its
   * disk; the declared one (DATABASE_REGION, REDIS_REGION, S3_REGION, BACKUP_S3_REGION) for a server;
   * undefined when a server's region is not declared.
   */
  readonly region: string | undefined;
  /** Whether `region` lies in DATA_REGION (regionLiesIn); false for an undeclared region. */
  readonly inDataRegion: boolean;
}

/**
 * Every store this configuration uses and the region each is in. loadConfig has refused a declared
 * DATA_REGION that a store's region disagrees with; with none declared (`local`), servers may still
 * leave their regions undeclared, which the privacy report shows.
 */
export function declaredStores(config: Config): DeclaredStore[] {
  const at = (region: string | undefined) => ({
    region,
    inDataRegion: region !== undefined && regionLiesIn(region, config.dataRegion),
  });
  const own = at(config.dataRegion);
  const backups = config.backup.target;
  return [
    config.databaseUrl === undefined
      ? { store: 'database', kind: 'SQLite', location: path.join(config.dataDir, SQLITE_FILE), ...own }
      : { store: 'database', kind: 'PostgreSQL', location: hostOf(config.databaseUrl), ...at(config.databaseRegion) },
    config.redisUrl === undefined
      ? { store: 'bus', kind: 'in-process', location: 'this process', ...own }
      : { store: 'bus', kind: 'Redis', location: hostOf(config.redisUrl), ...at(config.redisRegion) },
    config.s3 === undefined
      ? { store: 'files', kind: 'directory', location: path.join(config.dataDir, FILES_FOLDER), ...own }
      : {
          store: 'files',
          kind: 'S3-compatible bucket',
          location: bucketLocation(config.s3.bucket, config.s3.endpoint),
          ...at(config.s3.region),
        },
    backups.kind === 'directory'
      ? { store: 'backups', kind: 'directory', location: backups.directory, ...own }
      : {
          store: 'backups',
          kind: 'S3-compatible bucket',
          location: bucketLocation(backups.bucket, backups.endpoint),
          ...at(backups.region),
        },
  ];
}

/** A server URL's host and port, never its user or password. */
function hostOf(url: string): string {
  return new URL(url).host;
}

function bucketLocation(bucket: string, endpoint: string | undefined): string {
  return endpoint === undefined ? `bucket ${bucket} (AWS S3)` : `bucket ${bucket} at ${hostOf(endpoint)}`;
}
