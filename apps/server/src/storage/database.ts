import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import type { Schema } from './schema.js';

/** The two database dialects: SQLite (embedded default) and PostgreSQL (scale-out). */
export type DialectName = 'sqlite' | 'postgres';

/** An open database with its dialect; `close` ends every connection. */
export interface Database {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  /** For SQLite: the database file, whose raw bytes the plaintext scan reads. */
  readonly file: string | undefined;
  close(): Promise<void>;
}

const INT8_OID = 20;

// bigint columns hold epoch milliseconds and counters, far below 2^53: read them as numbers.
pg.types.setTypeParser(INT8_OID, (value: string) => Number(value));

/** Answers when the database can be reached; throws otherwise. */
export async function pingDatabase(db: Kysely<Schema>): Promise<void> {
  await sql`select 1`.execute(db);
}

/** The SQLite file name inside DATA_DIR. */
export const SQLITE_FILE = 'plauder.db';

/**
 * Opens the database: PostgreSQL when `databaseUrl` is set, else SQLite in `dataDir`.
 * `schema` (PostgreSQL only) sets the search path, which isolates test runs from each other.
 */
export function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  schema?: string;
  poolSize?: number;
}): Database {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', file: undefined, close: () => db.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(options.dataDir, SQLITE_FILE);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before the sender is acknowledged, even across a power cut.
  sqlite.pragma('synchronous = FULL');
  // Deleted content is overwritten with zeros, so erased data does not linger in free pages.
  sqlite.pragma('secure_delete = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', file, close: () => db.destroy() };
}

/** Runs every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({ db: database.db, provider: migrations(database.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
