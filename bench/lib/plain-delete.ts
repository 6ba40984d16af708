import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteFile } from '../../apps/server/src/storage/sqlite-file.js';

/** Conversations whose rows one transaction deletes, as the bulk delete job batches them. */
const CONVERSATIONS_PER_BATCH = 20;

/**
 * The baseline of the bulk delete: plain SQLite, with the server's file settings (WAL, zeroed deletes)
 * and a synced commit per batch, deleting `rows` rows of a plain message table (an id, a conversation
 * id, a seq and a 150-byte body, indexed by conversation) in batches of whole conversations. Rows/s.
 */
export async function plainDeleteRate(options: {
  rows: number;
  rowsPerConversation: number;
  log: (message: string) => void;
}): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'plauder-bench-plain-delete-'));
  const sqlite = openSqliteFile(path.join(dir, 'plain.db'));
  try {
    // FULL syncs the WAL at every commit, as the server's driver does after each of its commits.
    sqlite.pragma('synchronous = FULL');
    sqlite.exec(
      'create table plain_messages (id text primary key, conversation_id text not null, seq integer not null, body blob not null)',
    );
    sqlite.exec('create index plain_messages_conversation on plain_messages (conversation_id, seq)');
    const insert = sqlite.prepare('insert into plain_messages values (?, ?, ?, ?)');
    const body = Buffer.alloc(150, 7);
    const conversations = Math.ceil(options.rows / options.rowsPerConversation);
    const fill = sqlite.transaction((from: number, to: number) => {
      for (let c = from; c < to; c++) {
        for (let s = 0; s < options.rowsPerConversation; s++) insert.run(`m-${c}-${s}`, `c-${c}`, s, body);
      }
    });
    for (let c = 0; c < conversations; c += 1000) fill(c, Math.min(conversations, c + 1000));
    options.log(`plain SQLite: ${options.rows} rows written`);
    const marks = Array.from({ length: CONVERSATIONS_PER_BATCH }, () => '?').join(', ');
    const remove = sqlite.prepare(`delete from plain_messages where conversation_id in (${marks})`);
    const started = performance.now();
    for (let c = 0; c < conversations; c += CONVERSATIONS_PER_BATCH) {
      const ids = Array.from({ length: CONVERSATIONS_PER_BATCH }, (_, i) => `c-${c + i}`);
      sqlite.transaction(() => remove.run(...ids))();
    }
    return options.rows / ((performance.now() - started) / 1000);
  } finally {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
