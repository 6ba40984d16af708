import { chmodSync } from 'node:fs';
import type { SqliteDatabase } from 'kysely';
import SQLite from 'better-sqlite3';

/**
 * Opens a connection to the SQLite database file with the settings every connection of the server
 * uses (the main thread's and the writer thread's): WAL mode, foreign keys, zeroed deletes, a wait
 * for the write lock.
 */
export function openSqliteFile(file: string): SQLite.Database {
  const sqlite = new SQLite(file);
  // Owner-only, whatever the umask: SQLite gives the -wal and -shm files the database file's mode.
  chmodSync(file, 0o600);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL: SQLite syncs the WAL at checkpoints only; the driver flushes it after every commit, before
  // anyone is answered (DurableSqliteDialect), so a commit is on disk even across a power cut.
  sqlite.pragma('synchronous = NORMAL');
  // Deleted content is overwritten with zeros, so erased data does not linger in free pages.
  sqlite.pragma('secure_delete = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return sqlite;
}

/** Writing statements a connection keeps prepared, at most: a restore's INSERTs come in a few shapes. */
const KEPT_STATEMENTS = 64;

/**
 * `sqlite` for Kysely's SqliteDialect, keeping its writing statements prepared: Kysely prepares each
 * statement anew, which for a restore's INSERTs of 500 rows costs a tenth of its time. Only writing
 * statements are kept: they run to their end at once, while a stream may leave a reading one mid-way.
 */
export function keepingWritesPrepared(sqlite: SQLite.Database): SqliteDatabase {
  const kept = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text) {
      const known = kept.get(text);
      if (known) return known;
      const statement = sqlite.prepare(text);
      if (!statement.reader && kept.size < KEPT_STATEMENTS) kept.set(text, statement);
      return statement;
    },
  };
}
