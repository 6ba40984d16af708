import { chmodSync } from 'node:fs';
import SQLite from 'better-sqlite3';

/**
 * The most a connection keeps of the database in its page cache, in KiB (SQLite's default is 2 MiB).
 * The message indexes lead with the conversation id, so the messages of a busy node land all over
 * them, and with the default cache inserts read their index pages back from the file (see
 * docs/ARCHITECTURE.md for the measurement). A cache holds only what was read, so a small
 * installation uses little of it.
 */
const PAGE_CACHE_KIB = 64 * 1024;

/**
 * Opens a connection to the SQLite database file with the settings every connection of the server
 * uses (the main thread's and the writer thread's): WAL mode, foreign keys, zeroed deletes, a wait
 * for the write lock, a page cache of PAGE_CACHE_KIB.
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
  sqlite.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  return sqlite;
}
