import { closeSync, fdatasyncSync, openSync, readSync } from 'node:fs';
import SQLite from 'better-sqlite3';

/**
 * How long pages copied from the WAL may stay unflushed in the database file. The WAL cannot start
 * over meanwhile, and every commit is on disk in the WAL already.
 */
export const DATABASE_SYNC_INTERVAL_MS = 1000;

/** How long a TRUNCATE checkpoint waits for another connection's reader or writer before it says busy. */
const TRUNCATE_BUSY_MS = 20;

/**
 * One checkpoint's outcome: the WAL's frames, and how many of them are in the database file; -1 for
 * both when another connection was checkpointing.
 */
export interface CheckpointPass {
  frames: number;
  copied: number;
}

/** Which file a flush is for: the WAL or the database file. */
export type SyncedFile = 'wal' | 'database';

/**
 * Copies the WAL into the database file, flushing the database file where the WAL could otherwise
 * start over: at least once a second, and at the pass after one that copied the WAL in full (under a
 * steady stream of commits, most passes). SQLite's own checkpoint flushes the WAL before every copy
 * and the database file at every copy that reaches the WAL's end; with an 800 MB file those were
 * scattered writes that every commit's flush of the WAL waited behind (bench/README.md, bulk-delete).
 *
 * A checkpoint must keep two orders that its flushes gave it:
 * - a frame is on disk in the WAL before its page is copied: else a crash could leave a page of a
 *   commit in the database file whose other pages are lost with the WAL's unflushed end;
 * - the copied pages are on disk in the database file before the WAL starts over: else the frames
 *   that still held them would be overwritten.
 *
 * Both come from a pin: a connection in a read transaction, begun before each pass. A checkpoint does
 * not copy frames past a reader's snapshot, and a writer does not start the WAL over while a reader
 * may still need its frames (SQLite's read marks 1–4). So a pass begins a read on one of two pins,
 * flushes the WAL (which then holds everything the pin can see), lets go of the other pin, and copies.
 * A pin that finds the WAL copied in full reads the database file alone (read mark 0): it keeps the
 * WAL from being copied further, not from starting over. So before letting go of the other pin when
 * the last pass copied in full, the pass flushes the database file. The copies themselves run with
 * `synchronous = OFF`, which only drops SQLite's own two flushes.
 *
 * After each flush of the database file the pass lets go of its pin too: the WAL then starts over at
 * the next write that finds it copied in full, at most about a second after it was, or at once after
 * a catch-up (a final pass). A failed flush stops the copies and keeps the pin (Linux may drop the
 * pages it could not write, and they would not be copied again). Only this class (and SQLite's
 * checkpoint at the last connection's close) copies the WAL of the server's database: its
 * connections run with `wal_autocheckpoint = 0`.
 */
export class PinnedCheckpoints {
  private readonly copier: SQLite.Database;
  private readonly pins: [Pin, Pin];
  /** The pin kept from the last pass: the WAL cannot start over before what that pass copied is flushed. */
  private held: Pin | undefined;
  private last: (CheckpointPass & { walId: string }) | undefined;
  /** Pages were copied since the database file's last flush. */
  private unsynced = false;
  /** A flush of the database file failed. */
  private failed: Error | undefined;
  private syncedAt: number;
  private wal: number | undefined;
  private database: number | undefined;

  constructor(
    private readonly file: string,
    private readonly options: {
      syncIntervalMs?: number;
      now?: () => number;
      /** For tests: told of every flush, in order. */
      onSync?: (file: SyncedFile) => void;
    } = {},
  ) {
    this.copier = new SQLite(file);
    this.copier.pragma('busy_timeout = 5000');
    this.copier.pragma('synchronous = OFF');
    this.pins = [new Pin(file), new Pin(file)];
    this.syncedAt = this.now();
  }

  /**
   * Copies what the WAL held when the pass began. A final pass also flushes the database file and lets
   * go of both pins, so that the next write starts the WAL over if this pass copied it in full.
   */
  pass(final = false): CheckpointPass {
    if (this.failed) throw this.failed;
    const pin = this.pins[0] === this.held ? this.pins[1] : this.pins[0];
    pin.begin();
    let walId: string;
    try {
      walId = this.syncWal();
      if (!this.last || this.last.copied === this.last.frames) this.syncDatabase();
    } catch (error) {
      pin.end();
      throw error;
    }
    this.held?.end();
    this.held = pin;
    let result: CheckpointPass;
    try {
      const [row] = this.copier.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
      result = { frames: row?.log ?? -1, copied: row?.checkpointed ?? -1 };
    } catch (error) {
      this.unsynced = true;
      this.last = undefined;
      throw error;
    }
    // Another connection checkpoints (a command of the CLI), with SQLite's flushes.
    if (result.frames < 0) return result;
    // The WAL started over since the last pass when its salt changed: all its copied frames are new.
    const before = this.last?.walId === walId ? this.last.copied : 0;
    if (result.copied > before) this.unsynced = true;
    this.last = { ...result, walId };
    if (final || this.now() - this.syncedAt >= (this.options.syncIntervalMs ?? DATABASE_SYNC_INTERVAL_MS)) {
      this.letGo();
    }
    return result;
  }

  /**
   * Copies the WAL in full and empties its file: a TRUNCATE checkpoint, with SQLite's own flushes, for
   * a caller that holds every writer still. False when a reader kept it from going through.
   */
  truncate(): boolean {
    this.pass(true);
    this.copier.pragma('synchronous = NORMAL');
    this.copier.pragma(`busy_timeout = ${TRUNCATE_BUSY_MS}`);
    try {
      const [row] = this.copier.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return row?.busy === 0;
    } finally {
      this.copier.pragma('busy_timeout = 5000');
      this.copier.pragma('synchronous = OFF');
      this.last = undefined;
    }
  }

  /** Flushes what was copied, lets go of the pins and closes the connections. */
  close(): void {
    try {
      if (!this.failed) this.letGo();
    } finally {
      for (const pin of this.pins) pin.close();
      this.copier.close();
      for (const fd of [this.wal, this.database]) if (fd !== undefined) closeSync(fd);
    }
  }

  private letGo(): void {
    this.syncDatabase();
    this.syncedAt = this.now();
    this.held?.end();
    this.held = undefined;
  }

  /** Flushes the WAL; answers its salt, which changes whenever the WAL starts over. */
  private syncWal(): string {
    // Opened at the first pass: the pin's read has created the WAL by then. It stays in place while
    // this thread's connections are open.
    this.wal ??= openSync(`${this.file}-wal`, 'r');
    fdatasyncSync(this.wal);
    this.options.onSync?.('wal');
    const salt = Buffer.alloc(8);
    const read = readSync(this.wal, salt, 0, 8, 16);
    return salt.subarray(0, read).toString('hex');
  }

  private syncDatabase(): void {
    if (!this.unsynced) return;
    this.database ??= openSync(this.file, 'r');
    try {
      fdatasyncSync(this.database);
    } catch (error) {
      this.failed = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
    this.options.onSync?.('database');
    this.unsynced = false;
    this.syncedAt = this.now();
  }

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }
}

/** A connection that holds a read transaction open, so its snapshot's WAL frames stay in place. */
class Pin {
  private readonly db: SQLite.Database;
  private readonly read: SQLite.Statement;

  constructor(file: string) {
    this.db = new SQLite(file);
    this.db.pragma('busy_timeout = 5000');
    // A read of the database, which is what begins the transaction's snapshot.
    this.read = this.db.prepare('SELECT count(*) FROM sqlite_schema').pluck();
  }

  begin(): void {
    // A read an earlier pass could not end (a failed COMMIT) ends first.
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.db.exec('BEGIN');
    try {
      this.read.get();
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  end(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  close(): void {
    this.end();
    this.db.close();
  }
}
