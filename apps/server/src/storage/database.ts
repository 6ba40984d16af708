import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import {
  Kysely,
  Migrator,
  type MigrationResultSet,
  PostgresDialect,
  sql,
  SqliteDialect,
  type DatabaseIntrospector,
  type DatabaseMetadataOptions,
  type TableMetadata,
} from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { appendMessage, appendMessages, type AppendOutcome, type MessageToAppend } from './append-message.js';
import { Checkpointer } from './checkpointer.js';
import { eraseConversationBatch, type ErasedBatch, type ErasureBatch } from './erase-conversation-rows.js';
import { GroupCommit } from './group-commit.js';
import { preparedTexts } from './prepared-query.js';
import { DurableSqliteDialect } from './sqlite-driver.js';
import { keepingWritesPrepared, openSqliteFile } from './sqlite-file.js';
import { SqliteWriter } from './sqlite-writer.js';
import { WalCatchUp } from './wal-catch-up.js';
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
  /**
   * Appends a message (appendMessage), the hot path, and resolves after the commit. Messages that
   * arrive together share one transaction and one commit: on the server's SQLite on the writer thread
   * (SqliteWriter), on PostgreSQL in group commits on a few pool connections at once (one per shard of
   * conversations). SQLite without the writer thread (CLI commands) commits each on its own.
   */
  appendMessage(message: MessageToAppend): Promise<AppendOutcome>;
  /**
   * Runs an erasure batch (eraseConversationBatch) and resolves after its commits. On the server's
   * SQLite it runs on the writer thread, between two group commits of messages, so that the main
   * thread keeps serving sockets while it runs, and takes turns with the messages: in several
   * transactions, and it may answer for part of the batch (`processed`). Elsewhere on `db`, in one
   * transaction.
   */
  eraseBatch(batch: ErasureBatch): Promise<ErasedBatch>;
  /** Whether eraseBatch takes turns with the messages (the server's SQLite): see BatchSizer. */
  readonly erasureTakesTurns: boolean;
  /**
   * The server's SQLite: a TRUNCATE checkpoint on the checkpoint thread, every writer of the process
   * held meanwhile (scrubAfterErasure). True when it went through, false when a reader stopped it.
   */
  truncateWal?(): Promise<boolean>;
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
  /**
   * SQLite only: append messages on a writer thread (SqliteWriter) that checkpoints the WAL from a
   * thread of its own (Checkpointer) instead of in the commit that fills it. For the server; short
   * commands leave it off. Errors of those threads go to `onError`; `onCheckpointing` is told when the
   * checkpoint thread has started.
   */
  writerThread?: {
    onError: (message: string) => void;
    onCheckpointing?: () => void;
    restartFrames?: number;
    intervalMs?: number;
  };
  /**
   * SQLite only: a database thrown away after use (a backup's verification): its rollback journal in
   * memory and no syncs, as nothing of it needs to outlive a crash.
   */
  scratch?: boolean;
}): Database {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      Client: NamedStatementClient,
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // The cursor lets a query stream its rows (Kysely's stream()), as a backup reads whole tables.
    const db = new Kysely<Schema>({ dialect: new CurrentSchemaPostgresDialect({ pool, cursor: Cursor }) });
    const shards = Array.from(
      { length: POSTGRES_COMMIT_SHARDS },
      () => new GroupCommit<MessageToAppend, AppendOutcome>(db, appendMessages),
    );
    // A conversation's messages always take the same shard, so they are stored in the order sent.
    const shardFor = (conversationId: string) => {
      const shard = shards[shardOf(conversationId)];
      if (!shard) throw new Error(`No group commit for conversation ${conversationId}`);
      return shard;
    };
    return {
      db,
      dialect: 'postgres',
      file: undefined,
      appendMessage: (message) => shardFor(message.conversationId).run(message),
      eraseBatch: (batch) => eraseConversationBatch(db, batch),
      erasureTakesTurns: false,
      async close() {
        await Promise.all(shards.map((shard) => shard.idle()));
        await db.destroy();
      },
    };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(options.dataDir, SQLITE_FILE);
  const sqlite = openSqliteFile(file);
  if (options.scratch || !options.writerThread) {
    if (options.scratch) {
      sqlite.pragma('journal_mode = MEMORY');
      sqlite.pragma('synchronous = OFF');
      sqlite.pragma('secure_delete = OFF');
    }
    const dialect = options.scratch
      ? new SqliteDialect({ database: keepingWritesPrepared(sqlite) })
      : new DurableSqliteDialect(sqlite);
    const db = new Kysely<Schema>({ dialect });
    return {
      db,
      dialect: 'sqlite',
      file,
      appendMessage: inTransactionOf(db),
      eraseBatch: (batch) => eraseConversationBatch(db, batch),
      erasureTakesTurns: false,
      close: () => db.destroy(),
    };
  }
  const { onError } = options.writerThread;
  // Neither connection checkpoints: the checkpoint thread copies the WAL back, for both.
  sqlite.pragma('wal_autocheckpoint = 0');
  const writer = new SqliteWriter({ file, autocheckpointPages: 0 }, { onError });
  const checkpointer = new Checkpointer({
    file,
    restartFrames: options.writerThread.restartFrames,
    intervalMs: options.writerThread.intervalMs,
    onError,
    ...(options.writerThread.onCheckpointing ? { onStarted: options.writerThread.onCheckpointing } : {}),
    onBehind: () => {
      walCatchUp.catchUp().catch((error: unknown) => onError(`WAL catch-up failed: ${String(error)}`));
    },
    onLost() {
      // Pages the thread copied may not be flushed yet: flushed here, before this connection's own
      // checkpoints let the WAL start over.
      flushFile(file, onError);
      // Without the thread nothing would copy the WAL back: the connections checkpoint again.
      sqlite.pragma('wal_autocheckpoint = 1000');
      writer.setAutocheckpoint(1000);
      onError('The checkpoint thread ended; SQLite checkpoints in its commits again');
    },
  });
  const walCatchUp = new WalCatchUp(writer, checkpointer);
  const db = new Kysely<Schema>({ dialect: new DurableSqliteDialect(sqlite, () => writer.hold()) });
  return {
    db,
    dialect: 'sqlite',
    file,
    appendMessage: (message) => writer.append(message),
    eraseBatch: (batch) => walCatchUp.erase(batch),
    erasureTakesTurns: true,
    async truncateWal() {
      const release = await writer.hold();
      try {
        // Without the thread, this connection checkpoints (directly: a write through `db` would wait
        // for the hold taken here).
        return (
          (await checkpointer.truncate()) ??
          (sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]?.busy === 0
        );
      } finally {
        release();
      }
    },
    async close() {
      // The threads close first, so this connection is the last one and its close folds the WAL into
      // the database file.
      await writer.close();
      await checkpointer.stop();
      await db.destroy();
    },
  };
}

/** Flushes a file to disk, reporting a failure to `onError`. */
function flushFile(file: string, onError: (message: string) => void): void {
  try {
    const fd = openSync(file, 'r');
    try {
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    onError(`Could not flush ${file}: ${String(error)}`);
  }
}

/**
 * How many group commits append messages on PostgreSQL at once, each on a pool connection of its own:
 * one alone waits for each commit's round trips and flush before the next batch.
 */
const POSTGRES_COMMIT_SHARDS = 4;

/** The shard of a conversation: the same for every message of it. */
function shardOf(conversationId: string): number {
  let hash = 0;
  for (let i = 0; i < conversationId.length; i++) hash = (hash * 31 + conversationId.charCodeAt(i)) | 0;
  return Math.abs(hash) % POSTGRES_COMMIT_SHARDS;
}

/** appendMessage in a transaction of its own: SQLite's without the writer thread (CLI commands). */
function inTransactionOf(db: Kysely<Schema>): Database['appendMessage'] {
  return (message) => db.transaction().execute((trx) => appendMessage(trx, message));
}

/**
 * A PostgreSQL client that sends the prepared queries of the hot paths (PreparedQuery) as named
 * statements, which the server parses and plans once per connection instead of at every call; every
 * other query goes unnamed, as Kysely sends it. Kysely calls `query(text, values)`.
 */
class NamedStatementClient extends pg.Client {
  // Safe: the overloads of pg's query are kept; only the (text, values) form is rewritten.
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && args.length === 2 && preparedTexts.has(text)) {
      return super.query({ name: statementName(text), text, values }) as never;
    }
    return (super.query as (...forwarded: unknown[]) => never)(...args);
  }
}

const statementNames = new Map<string, string>();

/** A statement's name on every connection: derived from its text, so the same text gets the same name. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `plauder_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Runs `read` in one snapshot of the database, without holding off its writers: reads of several
 * tables that must agree with each other while chats go on. On PostgreSQL a repeatable-read
 * transaction; on SQLite a read-only connection of its own, whose transaction (a plain BEGIN, which
 * takes no lock until it reads) sees the WAL as of its first read. The server's own transactions begin
 * IMMEDIATE, which takes the write lock.
 */
export async function inReadSnapshot<T>(database: Database, read: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
  if (database.dialect === 'postgres') {
    return database.db.transaction().setIsolationLevel('repeatable read').execute(read);
  }
  if (database.file === undefined) throw new Error('A SQLite database is opened from its file');
  const sqlite = new SQLite(database.file, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    return await db.transaction().execute(read);
  } finally {
    await db.destroy();
  }
}

/**
 * Every row of `table`, as arrays of the values of `columns`, in no particular order, streamed. On
 * SQLite straight from a read-only connection of its own, without an object per row (which costs a
 * restore's read-back of a million rows a few seconds); it sees what was committed when it starts.
 */
export async function* tableRows(
  database: Database,
  table: string,
  columns: readonly string[],
): AsyncIterable<unknown[]> {
  if (database.dialect === 'postgres' || database.file === undefined) {
    const rows = database.db
      .selectFrom(table as keyof Schema)
      .select(columns.map((column) => sql.ref(column).as(column)))
      .stream(1000);
    for await (const row of rows) {
      const values = row as Record<string, unknown>;
      yield columns.map((column) => values[column] ?? null);
    }
    return;
  }
  const sqlite = new SQLite(database.file, { readonly: true, fileMustExist: true });
  try {
    sqlite.pragma('busy_timeout = 5000');
    const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const statement = sqlite.prepare(`SELECT ${columns.map(quoted).join(', ')} FROM ${quoted(table)}`).raw(true);
    yield* statement.iterate() as IterableIterator<unknown[]>;
  } finally {
    sqlite.close();
  }
}

/** The names of the migrations a database has run, in order; none for a new database. */
export async function appliedMigrations(database: Database): Promise<string[]> {
  const migrator = new Migrator({ db: database.db, provider: migrations(database.dialect) });
  return (await migrator.getMigrations()).filter((m) => m.executedAt !== undefined).map((m) => m.name);
}

/** The names of every migration this version knows, in order. */
export async function knownMigrations(dialect: DialectName): Promise<string[]> {
  return Object.keys(await migrations(dialect).getMigrations()).sort();
}

/** Runs the pending migrations up to and including `name`; throws with the failing migration's name. */
export async function migrateTo(database: Database, name: string): Promise<void> {
  const migrator = new Migrator({ db: database.db, provider: migrations(database.dialect) });
  checkMigrated(await migrator.migrateTo(name));
}

/** Throws with the failing migration's name when a run of migrations failed; the names of those run. */
function checkMigrated({ error, results }: MigrationResultSet): string[] {
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Runs every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({ db: database.db, provider: migrations(database.dialect) });
  return checkMigrated(await migrator.migrateToLatest());
}

/**
 * PostgreSQL with introspection limited to the current schema (the first of the search path). Kysely's
 * own introspector, which its Migrator uses, reads every schema of the database: it takes another
 * schema's migration table for ours and then migrates nothing, and it fails when another schema is
 * dropped while it reads (another installation in the same database, parallel test runs).
 */
class CurrentSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    const introspector: DatabaseIntrospector = {
      async getSchemas() {
        const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(db);
        return rows;
      },
      async getTables(options?: DatabaseMetadataOptions) {
        const { rows } = await sql<{
          table: string;
          schema: string;
          type: string;
          column: string;
          dataType: string;
          nullable: string;
          defaultValue: string | null;
        }>`
          select t.table_name as "table", t.table_schema as "schema", t.table_type as "type",
            c.column_name as "column", c.udt_name as "dataType", c.is_nullable as "nullable",
            c.column_default as "defaultValue"
          from information_schema.tables t
          join information_schema.columns c on c.table_schema = t.table_schema and c.table_name = t.table_name
          where t.table_schema = current_schema()
          order by t.table_name, c.ordinal_position
        `.execute(db);
        const tables = new Map<string, TableMetadata>();
        for (const row of rows) {
          if (!options?.withInternalKyselyTables && row.table.startsWith('kysely_migration')) continue;
          const table = tables.get(row.table) ?? {
            name: row.table,
            schema: row.schema,
            isView: row.type === 'VIEW',
            columns: [],
          };
          tables.set(row.table, table);
          table.columns.push({
            name: row.column,
            dataType: row.dataType,
            isNullable: row.nullable === 'YES',
            hasDefaultValue: row.defaultValue !== null,
            isAutoIncrementing: row.defaultValue?.startsWith('nextval(') ?? false,
          });
        }
        return [...tables.values()];
      },
      async getMetadata(options?: DatabaseMetadataOptions) {
        return { tables: await introspector.getTables(options) };
      },
    };
    return introspector;
  }
}

/**
 * Makes erased data physically gone after an erasure has committed. SQLite: `secure_delete` zeroes
 * freed pages in the database file, but the WAL still holds the old page images until a checkpoint;
 * a TRUNCATE checkpoint copies the zeroed pages back and empties the WAL file. PostgreSQL keeps dead
 * row versions until VACUUM (see docs/OPERATIONS.md); nothing is done here for it.
 */
export async function scrubAfterErasure(database: Database): Promise<void> {
  if (database.dialect !== 'sqlite') return;
  const truncate = async () =>
    database.truncateWal
      ? database.truncateWal()
      : (await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(database.db)).rows[0]?.busy === 0;
  // A checkpoint that meets a reader in the WAL (another process) stops short and says busy, without
  // an error: try again until it went through, 100 times 20 ms apart.
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await truncate()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('The WAL could not be checkpointed after an erasure: a reader held it for over 2 s');
}
