import { open, type FileHandle } from 'node:fs/promises';
import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type QueryResult,
} from 'kysely';
import { LRUCache } from 'lru-cache';

/** How many prepared statements the connection keeps, by their SQL text. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite dialect with three changes, all for the one connection of a process:
 * - transactions begin IMMEDIATE: the write lock is taken at BEGIN, where busy_timeout waits for it
 *   (a deferred BEGIN that reads first and writes later fails at once with SQLITE_BUSY when another
 *   process, a second node or the CLI, writes meanwhile);
 * - prepared statements are kept for reuse (Kysely prepares every query anew, which costs about as
 *   much as running a small statement);
 * - a write is answered only once it is on disk: after a commit (or a write outside a transaction)
 *   the WAL is flushed with fdatasync on a thread of libuv's pool (WalSync), so the event loop keeps
 *   serving sockets meanwhile. The connection runs with `synchronous = NORMAL`, under which SQLite
 *   itself syncs the WAL only at checkpoints; together that is what `FULL` promises, without a
 *   commit stopping the process for the length of an fsync. Work run withoutFlush is the exception:
 *   its commits wait for no flush of their own, and the next one covers them.
 */
export class DurableSqliteDialect extends SqliteDialect {
  /** `deferred` while work runs withoutFlush. */
  private readonly flushing = { deferred: false };
  private readonly walSync: WalSync;

  /**
   * `writeLock`, when another connection of this process writes too (the writer thread): taken before
   * a write transaction or a write outside one, and given back after it, so that neither connection
   * waits for SQLite's lock while the other holds it. Resolves with the function that gives it back.
   */
  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly writeLock?: () => Promise<() => void>,
  ) {
    super({ database: sqlite });
    this.walSync = new WalSync(`${sqlite.name}-wal`);
  }

  override createDriver(): SqliteDriver {
    return new DurableSqliteDriver(this.sqlite, this.writeLock, this.walSync, this.flushing);
  }

  /**
   * Runs `work` with its commits returning before their flush, for writes that nobody is told of until
   * a later flush (an erasure batch, answered after flush()): a power cut can only lose what nobody
   * heard of. The next flush covers them: every later commit's, or flush(). Nothing else may write on
   * the connection meanwhile.
   */
  async withoutFlush<T>(work: () => Promise<T>): Promise<T> {
    if (this.flushing.deferred) throw new Error('withoutFlush does not nest');
    this.flushing.deferred = true;
    try {
      return await work();
    } finally {
      this.flushing.deferred = false;
    }
  }

  /** Flushes the WAL: whatever committed before is on disk once this resolves. */
  flush(): Promise<void> {
    return this.walSync.sync();
  }
}

class DurableSqliteDriver extends SqliteDriver {
  private readonly connection: DurableSqliteConnection;

  constructor(
    sqlite: SQLite.Database,
    writeLock: (() => Promise<() => void>) | undefined,
    walSync: WalSync,
    flushing: { deferred: boolean },
  ) {
    super({ database: sqlite });
    this.connection = new DurableSqliteConnection(sqlite, writeLock, walSync, flushing);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    // The base class's mutex hands out the one connection to one user at a time.
    await super.acquireConnection();
    return this.connection;
  }

  override async beginTransaction(): Promise<void> {
    await this.connection.lock();
    try {
      await this.connection.executeQuery(CompiledQuery.raw('begin immediate'));
    } catch (error) {
      this.connection.unlock();
      throw error;
    }
  }

  override async commitTransaction(): Promise<void> {
    try {
      await this.connection.executeQuery(CompiledQuery.raw('commit'));
    } finally {
      // A failed COMMIT leaves the transaction open; Kysely rolls it back next, which unlocks.
      if (!this.connection.inTransaction) this.connection.unlock();
    }
  }

  override async rollbackTransaction(): Promise<void> {
    try {
      await this.connection.executeQuery(CompiledQuery.raw('rollback'));
    } finally {
      this.connection.unlock();
    }
  }

  override async destroy(): Promise<void> {
    await this.connection.close();
    await super.destroy();
  }
}

class DurableSqliteConnection implements DatabaseConnection {
  private readonly statements = new LRUCache<string, SQLite.Statement>({ max: STATEMENT_CACHE_SIZE });
  /** Whether a statement wrote since the WAL was last flushed. */
  private unsynced = false;
  /** Gives the write lock back, while this connection holds it. */
  private unlockWrites: (() => void) | undefined;

  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly writeLock: (() => Promise<() => void>) | undefined,
    private readonly walSync: WalSync,
    /** `deferred` while the dialect runs work withoutFlush. */
    private readonly flushing: { deferred: boolean },
  ) {}

  get inTransaction(): boolean {
    return this.sqlite.inTransaction;
  }

  /** Takes the write lock (if the dialect has one) until unlock. */
  async lock(): Promise<void> {
    this.unlockWrites = await this.writeLock?.();
  }

  unlock(): void {
    const unlockWrites = this.unlockWrites;
    this.unlockWrites = undefined;
    unlockWrites?.();
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.prepare(compiledQuery.sql);
    // readonly is false for every statement that may write (and for BEGIN IMMEDIATE); plain BEGIN,
    // COMMIT and SAVEPOINT count as read-only.
    if (statement.readonly || this.sqlite.inTransaction || this.unlockWrites || !this.writeLock) {
      return this.run(statement, compiledQuery);
    }
    // A write of its own (autocommit): under the write lock, as a transaction is.
    await this.lock();
    try {
      return await this.run(statement, compiledQuery);
    } finally {
      this.unlock();
    }
  }

  private async run<R>(statement: SQLite.Statement, compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (!statement.readonly) this.unsynced = true;
    let result: QueryResult<R>;
    if (statement.reader) {
      result = { rows: statement.all(compiledQuery.parameters) as R[] };
    } else {
      const { changes, lastInsertRowid } = statement.run(compiledQuery.parameters);
      result = { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    }
    // Outside a transaction, every write so far has committed: none is answered before it is on disk.
    if (this.unsynced && !this.sqlite.inTransaction && !this.flushing.deferred) {
      this.unsynced = false;
      await this.walSync.sync();
    }
    return result;
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('SQLite streams only select queries');
    for (const row of this.prepare(compiledQuery.sql).iterate(compiledQuery.parameters)) {
      yield { rows: [row as R] };
    }
  }

  async close(): Promise<void> {
    await this.walSync.close();
  }

  private prepare(source: string): SQLite.Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.sqlite.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
  }
}

/**
 * Flushes the WAL file to disk, sharing flushes between callers: a caller waits for a flush that
 * started after it asked (one that was already running may have missed its write), and everyone who
 * asks while a flush runs shares the next one.
 */
export class WalSync {
  private file: Promise<FileHandle> | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly path: string) {}

  sync(): Promise<void> {
    if (!this.running) return this.start();
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    const file = this.file;
    this.file = undefined;
    if (file) await (await file).close();
  }

  private startQueued(): Promise<void> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<void> {
    const running = this.flush();
    this.running = running;
    const clear = () => {
      if (this.running === running) this.running = undefined;
    };
    running.then(clear, clear);
    return running;
  }

  private async flush(): Promise<void> {
    // Opened at the first flush: the WAL file exists once something was written. It stays in place
    // (checkpoints reuse or truncate it) while this process keeps its connection open.
    if (!this.file) {
      const opening = open(this.path, 'r');
      this.file = opening;
      // A failed open is tried again at the next flush.
      opening.catch(() => {
        if (this.file === opening) this.file = undefined;
      });
    }
    await (await this.file).datasync();
  }
}
