import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedVisitorConversation } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { attachmentStorageKey, insertAttachment } from '../attachments-repository.js';
import { insertMessage, listMessages } from '../messages-repository.js';
import { clientIdFirst } from './0007-client-id-first.js';

describe(`messages' client id index (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const conversation = () => seedVisitorConversation(t.ctx);

  const send = (at: { accountId: string; conversationId: string }, clientMessageId: string, body: string) =>
    insertMessage(t.ctx.store, { ...at, clientMessageId, authorKind: 'visitor', body, now: t.clock.now() });

  /** The columns of the unique index on messages that holds the client id, in index order. */
  async function clientIdIndexColumns(): Promise<string[]> {
    const db = t.ctx.database.db;
    if (testDialect === 'postgres') {
      const { rows } = await sql<{ indexdef: string }>`select indexdef from pg_indexes
        where tablename = 'messages' and schemaname = current_schema() and indexdef like '%client_message_id%'`.execute(
        db,
      );
      expect(rows).toHaveLength(1);
      return /\((.*)\)/.exec(rows[0]?.indexdef ?? '')?.[1]?.split(', ') ?? [];
    }
    const { rows: indexes } = await sql<{ name: string; unique: number }>`pragma index_list('messages')`.execute(db);
    const found: string[][] = [];
    for (const index of indexes.filter((i) => i.unique === 1)) {
      const { rows } = await sql<{ name: string }>`select name from pragma_index_info(${index.name})`.execute(db);
      if (rows.some((r) => r.name === 'client_message_id')) found.push(rows.map((r) => r.name));
    }
    expect(found).toHaveLength(1);
    return found[0] ?? [];
  }

  it('keeps client ids unique per conversation, in an index that leads with the client id', async () => {
    expect(await clientIdIndexColumns()).toEqual(['client_message_id', 'conversation_id']);
    const one = await conversation();
    const other = await conversation();
    const clientMessageId = randomUUID();
    expect(await send(one, clientMessageId, 'first')).toMatchObject({ seq: 1, duplicate: false });
    expect(await send(one, clientMessageId, 'again')).toMatchObject({ seq: 1, duplicate: true });
    // The same client id in another conversation is another message.
    expect(await send(other, clientMessageId, 'elsewhere')).toMatchObject({ seq: 1, duplicate: false });
  });

  it.runIf(testDialect === 'sqlite')(
    'rebuilds the SQLite table with every message and attachment kept, and foreign keys on again',
    async () => {
      const at = await conversation();
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const [i, id] of ids.entries()) await send(at, id, `message ${i}`);
      const carrier = await send(at, randomUUID(), 'photo.png');
      if (!carrier) throw new Error('The conversation is gone');
      const attachmentId = randomUUID();
      await insertAttachment(t.ctx.store, {
        id: attachmentId,
        ...at,
        messageId: carrier.id,
        fileName: 'photo.png',
        contentType: 'image/png',
        sizeBytes: 10,
        storageKey: attachmentStorageKey({ ...at, attachmentId }),
        now: t.clock.now(),
      });
      const db = t.ctx.database.db;
      const before = await listMessages(t.ctx.store, { ...at, afterSeq: 0, limit: 100 });

      // The migration ran when the context was made; run its rebuild once more over this data, on the
      // table as it found it: without the column 0014 added, which comes back after.
      await sql`alter table messages drop column search_tokens`.execute(db);
      await clientIdFirst('sqlite').up(db);
      await sql`alter table messages add column search_tokens blob`.execute(db);

      expect(await listMessages(t.ctx.store, { ...at, afterSeq: 0, limit: 100 })).toEqual(before);
      expect(await db.selectFrom('attachments').select(['id', 'message_id']).execute()).toEqual([
        { id: attachmentId, message_id: carrier.id },
      ]);
      expect((await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows).toEqual([
        { foreign_keys: 1 },
      ]);
      expect(await clientIdIndexColumns()).toEqual(['client_message_id', 'conversation_id']);
      expect(await send(at, ids[0] ?? '', 'resent')).toMatchObject({ seq: 1, duplicate: true });
      // The attachment follows its message again: erasing the message erases it.
      await db.deleteFrom('messages').where('id', '=', carrier.id).execute();
      expect(await db.selectFrom('attachments').select('id').execute()).toEqual([]);
    },
  );
});
