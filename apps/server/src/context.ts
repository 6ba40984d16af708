import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { createBus } from './adapters/bus/create-bus.js';
import type { Bus } from './adapters/bus/bus.js';
import { createFileStore } from './adapters/file-store/create-file-store.js';
import type { FileStore } from './adapters/file-store/file-store.js';
import type { Config } from './config/config.js';
import { Keyring } from './crypto/keyring.js';
import { MasterKeyMismatchError } from './crypto/errors.js';
import {
  discardNextMasterKey,
  loadMasterKey,
  MASTER_KEY_FILE,
  MasterKeyFileError,
  masterKeyId,
  promoteNextMasterKey,
  readNextMasterKey,
} from './crypto/master-key.js';
import type { Executor } from './storage/schema.js';
import { LoginThrottle } from './domain/auth/login-throttle.js';
import { migrateToLatest, openDatabase, type Database } from './storage/database.js';
import { recordMasterKeyCreatedOnce } from './storage/master-key-record.js';
import { getMeta, lockInstallation, setMeta } from './storage/meta-repository.js';
import type { Store } from './storage/sealed-store.js';
import { SentBodies } from './domain/conversations/sent-bodies.js';

/** The source of the current time, in epoch milliseconds; tests move it. */
export interface Clock {
  now(): number;
}

/** Everything a use case may depend on, built once at start-up (the composition root). */
export interface Context {
  readonly config: Config;
  readonly database: Database;
  readonly keyring: Keyring;
  /** The database and keyring together, as repositories of personal data take them. */
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly loginThrottle: LoginThrottle;
  /** Fan-out between the nodes: Redis pub/sub with REDIS_URL, else in-process. */
  readonly bus: Bus;
  /** Files (attachments): S3-compatible storage with S3_BUCKET, else DATA_DIR/files. */
  readonly fileStore: FileStore;
  /** This process among the nodes of the installation: random per start. */
  readonly nodeId: string;
  /** The bodies of messages just sent through this process, for its own sockets to deliver. */
  readonly sentBodies: SentBodies;
  close(): Promise<void>;
}

/** Paths pino replaces with "[redacted]": credentials never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'req.headers["x-forwarded-for"]',
  'res.headers["set-cookie"]',
];

/**
 * Makes the process logger; the HTTP layer adds request ids and truncated client addresses. Commands
 * other than `serve` log to stderr, so their stdout stays their result.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, options: { stderr?: boolean } = {}): Logger {
  const settings = { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return options.stderr ? pino(settings, pino.destination(2)) : pino(settings);
}

/**
 * Builds the context: loads the master key, opens and migrates the database, checks the master key
 * against the keyring. Throws (changing nothing) on a wrong master key.
 */
export async function createContext(
  config: Config,
  options: { clock?: Clock; logger?: Logger; schema?: string; migrate?: boolean } = {},
): Promise<Context> {
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? { now: () => Date.now() };
  const master = loadMasterKey({ configured: config.masterKey, embedded: config.embedded, dataDir: config.dataDir });
  const next = master.source === 'environment' ? undefined : readNextMasterKey(config.dataDir);
  if (master.source === 'generated-key-file') {
    logger.warn({ dataDir: config.dataDir }, 'Generated a new master key file; back it up apart from the data');
  }
  // Files and bus first: neither connects before its first use, and neither needs the database.
  const fileStore = await createFileStore(config);
  const bus = createBus({
    redisUrl: config.redisUrl,
    onError: (error, details) => logger.error({ err: error, ...details }, 'Bus error'),
  });
  const database = openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    schema: options.schema,
    writerThread: { onError: (message) => logger.error({ reason: message }, 'SQLite writer thread failed') },
  });
  const keyring = new Keyring({ masterKey: master.key, cacheSize: config.keyCacheSize });
  try {
    if (options.migrate !== false) {
      const applied = await migrateToLatest(database);
      if (applied.length > 0) logger.info({ migrations: applied }, 'Migrated the database');
    }
    await database.db.transaction().execute(async (trx) => {
      // Nodes starting together on a new database would both create the installation keys.
      await lockInstallation(trx);
      await verifyOrRepairMasterKey({ keyring, db: trx, next, dataDir: config.dataDir, now: clock.now(), logger });
      const region = await getMeta(trx, 'data_region');
      if (region !== undefined && region !== config.dataRegion) {
        throw new Error(
          `DATA_REGION is "${config.dataRegion}" but this installation's data was declared in "${region}"; moving regions is a migration, not a setting`,
        );
      }
      if (region === undefined) await setMeta(trx, 'data_region', config.dataRegion);
      await setMeta(trx, 'master_key_id', keyring.masterKeyId);
      // The privacy report tells the master key's age from it.
      await recordMasterKeyCreatedOnce(trx, clock.now());
    });
  } catch (error) {
    await bus.close();
    await fileStore.close();
    await database.close();
    if (error instanceof MasterKeyMismatchError && master.source === 'generated-key-file') {
      // The key file was missing, not the installation new: take the generated key back, change nothing.
      rmSync(path.join(config.dataDir, MASTER_KEY_FILE));
      throw new MasterKeyFileError(
        `${path.join(config.dataDir, MASTER_KEY_FILE)} is missing, but this database's keyring is wrapped with the master key ${error.expectedKeyId}; restore that key file from your key backup (or set PLAUDER_MASTER_KEY)`,
      );
    }
    throw error;
  }
  return {
    config,
    database,
    keyring,
    store: { db: database.db, keyring },
    clock,
    logger,
    loginThrottle: new LoginThrottle(() => clock.now()),
    bus,
    fileStore,
    nodeId: randomUUID(),
    sentBodies: new SentBodies(),
    async close() {
      await bus.close();
      await fileStore.close();
      await database.close();
    },
  };
}

/**
 * Checks the master key against the keyring. A rotation interrupted between its commit and the key
 * file rename left the new key in `master.key.next`: when the keyring needs that key, it is promoted;
 * when it does not, the uncommitted next key is discarded.
 */
async function verifyOrRepairMasterKey(input: {
  keyring: Keyring;
  db: Executor;
  next: Buffer | undefined;
  dataDir: string;
  now: number;
  logger: Logger;
}): Promise<void> {
  try {
    await input.keyring.verifyMasterKey(input.db, input.now);
  } catch (error) {
    if (!(error instanceof MasterKeyMismatchError) || !input.next || error.expectedKeyId !== masterKeyId(input.next))
      throw error;
    input.keyring.useMasterKey(input.next);
    await input.keyring.verifyMasterKey(input.db, input.now);
    promoteNextMasterKey(input.dataDir);
    input.logger.warn({ masterKeyId: input.keyring.masterKeyId }, 'Finished an interrupted master key rotation');
    return;
  }
  if (input.next) discardNextMasterKey(input.dataDir);
}
