import type { CompiledQuery, ControlledTransaction, Kysely } from 'kysely';
import type { FileStore } from '../adapters/file-store/file-store.js';
import type { Schema } from '../storage/schema.js';
import { SearchTokenBatch } from '../storage/search-repository.js';
import { DATA_TABLES, KEYRING_TABLES } from './backup-tables.js';
import type { ArtifactHeader, ArtifactManifest } from './export-snapshot.js';
import { BackupContentError, jsonOf, readFrames, RowChecksum, rowsOf } from './frames.js';

/**
 * What the newest keyring artifact says was erased, by subject: a restore leaves these out of the data
 * of an older backup, so that nothing erased after the backup comes back (P8).
 */
export interface Erased {
  /** Accounts purged, or without an account key any more. */
  accounts: Set<string>;
  /** Accounts that still have their account key. */
  keyedAccounts: Set<string>;
  contacts: Set<string>;
  conversations: Set<string>;
  messages: Set<string>;
}

/** What a restore left out, and what it counted of the rows it wrote. */
export interface ImportResult {
  header: ArtifactHeader;
  manifest: ArtifactManifest;
  /** Per table: its columns, in the order of the artifact's rows. */
  columns: Record<string, string[]>;
  /** Per table: the rows written. */
  written: Record<string, { rows: number }>;
  /**
   * Per table: the rows written changed (a visitor IP address past its 24 hours), with the checksums
   * of the rows as backed up and as written.
   */
  changed: Record<string, { rows: number; before: string; after: string }>;
  /**
   * Per table: the rows left out (with their checksum): those erased after the backup (`erased` of
   * them), and those the restore takes elsewhere or leaves to the installation.
   */
  leftOut: Record<string, { rows: number; checksum: string; erased: number }>;
  /** The attachments' files written, and those left out with their attachments. */
  files: { written: number; dropped: number };
  /** Visitor IP addresses left out because their 24 hours had passed by the restore. */
  expiredAddresses: number;
}

/** Rows one INSERT writes at most; fewer for wide tables, so that no statement passes 10,000 values. */
const ROWS_PER_INSERT = 500;
const VALUES_PER_INSERT = 10_000;
/** Rows one transaction writes: large commits, as a bulk import makes. */
const ROWS_PER_TRANSACTION = 20_000;

/** Meta entries a restore leaves to the installation it restores into. */
const LOCAL_META = new Set(['master_key_id', 'startup_lock']);

/** Reads what a keyring artifact says was erased, and hands its rows to `rows` (table by table). */
export async function readErased(
  source: AsyncIterable<Buffer>,
  options: { rows?: (table: string, columns: string[], rows: unknown[][]) => Promise<void> } = {},
): Promise<{ header: ArtifactHeader; erased: Erased }> {
  const erased: Erased = {
    accounts: new Set(),
    keyedAccounts: new Set(),
    contacts: new Set(),
    conversations: new Set(),
    messages: new Set(),
  };
  const tombstones = { contact: erased.contacts, conversation: erased.conversations } as Record<string, Set<string>>;
  const records = {
    account: erased.accounts,
    contact: erased.contacts,
    conversation: erased.conversations,
    message: erased.messages,
  } as Record<string, Set<string>>;
  let header: ArtifactHeader | undefined;
  let table: { name: string; columns: string[] } | undefined;
  let ended = false;
  for await (const { type, payload } of readFrames(source)) {
    if (ended) throw new BackupContentError('frames follow its end');
    if (type === 'H') header = jsonOf<ArtifactHeader>(payload);
    else if (type === 'T') {
      const described = jsonOf<{ table: string; columns: string[] }>(payload);
      if (!(KEYRING_TABLES as readonly string[]).includes(described.table)) {
        throw new BackupContentError(`a keyring artifact holds table ${described.table}`);
      }
      table = { name: described.table, columns: described.columns };
    } else if (type === 'R') {
      if (!table) throw new BackupContentError('rows come before their table');
      const rows = rowsOf(payload);
      const at = (name: string) => (table as { columns: string[] }).columns.indexOf(name);
      if (table.name === 'keyring') {
        const [kind, subject, wrapped] = [at('kind'), at('subject_id'), at('wrapped_key')];
        for (const row of rows) {
          const destroyed = row[wrapped] === null;
          if (row[kind] === 'account' && !destroyed) erased.keyedAccounts.add(String(row[subject]));
          if (destroyed) tombstones[String(row[kind])]?.add(String(row[subject]));
        }
      } else {
        const [kind, subject] = [at('subject_kind'), at('subject_id')];
        for (const row of rows) records[String(row[kind])]?.add(String(row[subject]));
      }
      await options.rows?.(table.name, table.columns, rows);
    } else if (type === 'Z') ended = true;
  }
  if (!header || header.kind !== 'keyring') throw new BackupContentError('it is no keyring artifact');
  if (!ended) throw new BackupContentError('it has no end');
  return { header, erased };
}

/** Whether a row of `table` (its values by column) was erased after the backup. */
function isErased(table: string, get: (column: string) => unknown, erased: Erased, dropped: DroppedIds): boolean {
  const accountId = get('account_id');
  if (typeof accountId === 'string' && (erased.accounts.has(accountId) || !erased.keyedAccounts.has(accountId))) {
    return true;
  }
  if (table === 'accounts') {
    const id = String(get('id'));
    return erased.accounts.has(id) || !erased.keyedAccounts.has(id);
  }
  if (table === 'contacts') return erased.contacts.has(String(get('id')));
  if (table === 'conversations') return erased.conversations.has(String(get('id')));
  // The rows of a conversation left out go with it, whatever the reason it was left out.
  const conversationId = get('conversation_id');
  if (typeof conversationId === 'string' && dropped.conversations.has(conversationId)) return true;
  if (table === 'messages') return erased.messages.has(String(get('id')));
  if (table === 'attachments') {
    const messageId = get('message_id');
    return typeof messageId === 'string' && dropped.messages.has(messageId);
  }
  return false;
}

/** Ids of rows left out that later rows reference. */
interface DroppedIds {
  conversations: Set<string>;
  messages: Set<string>;
  contacts: Set<string>;
}

/**
 * Writes a data artifact's rows and files into `db` and `fileStore` (both empty, the database migrated
 * to the artifact's schema), leaving out what `erased` names, the visitor IP addresses whose 24 hours
 * passed by `now`, and the rows of tables a backup does not restore here (`skipTables`, such as the
 * erasure records, which the newest keyring artifact holds).
 */
export async function importData(
  source: AsyncIterable<Buffer>,
  input: {
    db: Kysely<Schema>;
    fileStore: FileStore;
    erased: Erased;
    now: number;
    skipTables?: readonly string[];
    /** Called with the header, before the first row is written: to bring the database to its schema. */
    prepare?: (header: ArtifactHeader) => Promise<void>;
    /** Hears the rows read so far. */
    progress?: (rows: number) => void;
    /** Hears each file written, before it is: what a failed restore has to remove again. */
    writingFile?: (key: string) => void;
  },
): Promise<ImportResult> {
  const { db, erased } = input;
  const result: Omit<ImportResult, 'header' | 'manifest'> & { header?: ArtifactHeader; manifest?: ArtifactManifest } = {
    columns: {},
    written: {},
    changed: {},
    leftOut: {},
    files: { written: 0, dropped: 0 },
    expiredAddresses: 0,
  };
  const droppedIds: DroppedIds = { conversations: new Set(), messages: new Set(), contacts: new Set() };
  const restoredFiles = new Set<string>();
  let table:
    | {
        name: string;
        columns: string[];
        written: number;
        leftOut: RowChecksum;
        erased: number;
        before: RowChecksum;
        after: RowChecksum;
      }
    | undefined;
  let pending: (readonly unknown[])[] = [];
  let file: { key: string; size: number; pieces: Buffer[]; bytes: number } | undefined;
  let ended = false;
  let rowsRead = 0;
  const words = new SearchTokenBatch();

  const writer = new BatchWriter(db);
  const finishTable = async () => {
    if (!table) return;
    await writer.insert(table.name, table.columns, pending);
    pending = [];
    await writer.run((trx) => words.write(trx));
    result.written[table.name] = { rows: table.written };
    if (table.before.count > 0) {
      result.changed[table.name] = { rows: table.before.count, before: table.before.value, after: table.after.value };
    }
    result.leftOut[table.name] = { rows: table.leftOut.count, checksum: table.leftOut.value, erased: table.erased };
    table = undefined;
  };
  const finishFile = async () => {
    if (!file) return;
    const content = Buffer.concat(file.pieces);
    if (content.length !== file.size) throw new BackupContentError(`file ${file.key} is not the size it says`);
    if (restoredFiles.has(file.key)) {
      input.writingFile?.(file.key);
      await input.fileStore.put(file.key, content);
      result.files.written += 1;
    } else result.files.dropped += 1;
    file = undefined;
  };

  try {
    for await (const { type, payload } of readFrames(source)) {
      if (ended) throw new BackupContentError('frames follow its end');
      if (type !== 'B') await finishFile();
      if (type === 'H') {
        result.header = jsonOf<ArtifactHeader>(payload);
        if (result.header.kind !== 'data') throw new BackupContentError('it is no data artifact');
        await input.prepare?.(result.header);
      } else if (type === 'T') {
        await finishTable();
        const { table: name, columns } = jsonOf<{ table: string; columns: string[] }>(payload);
        if (!(DATA_TABLES as readonly string[]).includes(name)) throw new BackupContentError(`unknown table ${name}`);
        table = {
          name,
          columns,
          written: 0,
          leftOut: new RowChecksum(),
          erased: 0,
          before: new RowChecksum(),
          after: new RowChecksum(),
        };
        result.columns[name] = columns;
      } else if (type === 'R') {
        if (!table) throw new BackupContentError('rows come before their table');
        const { name, columns } = table;
        const rows = rowsOf(payload);
        rowsRead += rows.length;
        input.progress?.(rowsRead);
        const index = new Map(columns.map((column, at) => [column, at]));
        for (const row of rows) {
          if (row.length !== columns.length) throw new BackupContentError(`a row of ${name} has the wrong length`);
          const get = (column: string) => {
            const at = index.get(column);
            return at === undefined ? undefined : row[at];
          };
          if (input.skipTables?.includes(name) || (name === 'meta' && LOCAL_META.has(String(get('key'))))) {
            table.leftOut.add(row);
            continue;
          }
          if (isErased(name, get, erased, droppedIds)) {
            table.erased += 1;
            table.leftOut.add(row);
            if (name === 'conversations') droppedIds.conversations.add(String(get('id')));
            if (name === 'messages') droppedIds.messages.add(String(get('id')));
            if (name === 'contacts') droppedIds.contacts.add(String(get('id')));
            continue;
          }
          let kept: readonly unknown[] = row;
          if (name === 'conversations') {
            const changed = [...row];
            const set = (column: string, value: unknown) => {
              const at = index.get(column);
              if (at !== undefined) changed[at] = value;
            };
            // An erased contact's conversations were erased with it; one linked since keeps no link.
            const contactId = get('contact_id');
            if (typeof contactId === 'string' && droppedIds.contacts.has(contactId)) set('contact_id', null);
            // P3: no visitor IP address outlives its 24 hours, in a restored copy either.
            const expires = get('visitor_ip_expires_at');
            if (typeof expires === 'number' && expires <= input.now) {
              set('visitor_ip_sealed', null);
              set('visitor_ip_expires_at', null);
              result.expiredAddresses += 1;
            }
            if (changed.some((value, at) => value !== row[at])) {
              table.before.add(row);
              table.after.add(changed);
              kept = changed;
            }
          }
          if (name === 'attachments') restoredFiles.add(String(get('storage_key')));
          if (name === 'messages') {
            // The conversations' search index (REBUILT_TABLES) follows from the tokens each message keeps.
            const tokens = get('search_tokens');
            if (tokens instanceof Uint8Array && tokens.length > 0) {
              words.add({ conversationId: String(get('conversation_id')), tokens });
            }
          }
          table.written += 1;
          pending.push(kept);
          if (pending.length >= ROWS_PER_INSERT) {
            await writer.insert(name, columns, pending);
            pending = [];
            // After the messages' rows, in their transaction: each word once, whichever of them holds it.
            await writer.run((trx) => words.write(trx));
          }
        }
      } else if (type === 'F') {
        await finishTable();
        const described = jsonOf<{ key: string; size: number }>(payload);
        file = { ...described, pieces: [], bytes: 0 };
      } else if (type === 'B') {
        if (!file) throw new BackupContentError('file bytes come before their file');
        file.pieces.push(payload);
        file.bytes += payload.length;
        if (file.bytes > file.size) throw new BackupContentError(`file ${file.key} is longer than it says`);
      } else if (type === 'M') {
        await finishTable();
        result.manifest = jsonOf<ArtifactManifest>(payload);
      } else if (type === 'Z') {
        ended = true;
      }
    }
    await finishTable();
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  if (!result.header) throw new BackupContentError('it has no header');
  if (!result.manifest || !ended) throw new BackupContentError('it has no end');
  return result as ImportResult;
}

/**
 * Inserts rows in multi-row INSERTs, many to a transaction: a restore writes millions of rows into an
 * empty database, where a commit per statement would spend its time syncing. A failed insert rolls
 * its transaction back.
 */
class BatchWriter {
  private transaction: ControlledTransaction<Schema> | undefined;
  private rowsInTransaction = 0;
  /** Compiled INSERTs by table, columns and row count: a restore writes millions of rows in few shapes. */
  private readonly statements = new Map<string, CompiledQuery>();

  constructor(private readonly db: Kysely<Schema>) {}

  /** Writes `rows` (arrays of values in the order of `columns`) into `table`. */
  async insert(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
    if (rows.length === 0) return;
    this.transaction ??= await this.db.startTransaction().execute();
    const trx = this.transaction;
    const perInsert = Math.max(1, Math.min(ROWS_PER_INSERT, Math.floor(VALUES_PER_INSERT / (columns.length || 1))));
    try {
      for (let at = 0; at < rows.length; at += perInsert) {
        const batch = rows.slice(at, at + perInsert);
        const statement = this.statementFor(trx, table, columns, batch);
        await trx.executeQuery({ ...statement, parameters: batch.flat() });
      }
    } catch (error) {
      this.transaction = undefined;
      await trx.rollback().execute();
      throw new Error(
        `Could not write the rows of ${table}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    this.rowsInTransaction += rows.length;
    if (this.rowsInTransaction >= ROWS_PER_TRANSACTION) await this.close();
  }

  /** The INSERT of `batch.length` rows into `table`, compiled once per shape. */
  private statementFor(
    db: Kysely<Schema>,
    table: string,
    columns: readonly string[],
    batch: readonly (readonly unknown[])[],
  ): CompiledQuery {
    const shape = `${table}\u0000${columns.join(',')}\u0000${batch.length}`;
    let statement = this.statements.get(shape);
    if (!statement) {
      // The table is one of DATA_TABLES or KEYRING_TABLES, checked by the caller; the columns are the
      // artifact's, and the database refuses one it does not have.
      statement = db
        .insertInto(table as keyof Schema)
        .values(batch.map((row) => Object.fromEntries(columns.map((column, at) => [column, row[at]]))))
        .compile();
      // Every value a parameter, row by row in the order of `columns`: the rows' values, flattened.
      if (statement.parameters.length !== batch.length * columns.length) {
        throw new Error(`The INSERT into ${table} does not take one parameter per value`);
      }
      this.statements.set(shape, statement);
    }
    return statement;
  }

  /** Runs `work` in the open transaction (one is begun when none is). */
  async run(work: (trx: Kysely<Schema>) => Promise<void>): Promise<void> {
    this.transaction ??= await this.db.startTransaction().execute();
    try {
      await work(this.transaction);
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /** Rolls back what is not committed yet. */
  async abort(): Promise<void> {
    const open = this.transaction;
    this.transaction = undefined;
    await open?.rollback().execute();
  }

  /** Commits what is written. */
  async close(): Promise<void> {
    const open = this.transaction;
    this.transaction = undefined;
    this.rowsInTransaction = 0;
    await open?.commit().execute();
  }
}
