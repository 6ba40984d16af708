/**
 * Fills a fresh installation (the server's environment: DATA_DIR, DATABASE_URL…) with old, closed
 * conversations for the bulk-delete benchmark, written as the server writes messages: bodies sealed
 * with each conversation's key, search tokens, rollups. Run before `plauder serve`:
 * `node --import tsx bench/lib/bulk-delete-seed.ts CONVERSATIONS MESSAGES_EACH AGE_MS`.
 */
import { randomUUID } from 'node:crypto';
import { newClientMessageId, timeOrderedUuid } from '@plauder/protocol';
import { loadConfig } from '../../apps/server/src/config/config.js';
import { createContext, createLogger } from '../../apps/server/src/context.js';
import { messageSearchTokens } from '../../apps/server/src/domain/search/search-key.js';
import { listAccounts } from '../../apps/server/src/storage/accounts-repository.js';
import { appendMessages, type MessageToAppend } from '../../apps/server/src/storage/append-message.js';
import { insertConversation } from '../../apps/server/src/storage/conversations-repository.js';
import { sealMessageBody } from '../../apps/server/src/storage/messages-repository.js';
import { insertVisitor } from '../../apps/server/src/storage/widgets-repository.js';

const [conversations, messagesEach, ageMs] = process.argv.slice(2).map(Number);
if (!conversations || !messagesEach || !ageMs) {
  throw new Error('usage: bulk-delete-seed.ts CONVERSATIONS MESSAGES_EACH AGE_MS');
}
/** Conversations written per transaction: large commits, as a bulk import would make. */
const PER_TRANSACTION = 50;
/** Words of the bodies: each message has five distinct ones, as the search index sees them. */
const WORDS = ['order', 'invoice', 'delivery', 'thanks', 'question', 'account', 'refund', 'hello', 'price', 'help'];

const config = loadConfig();
const start = Date.now() - ageMs;
let tick = 0;
// Each message a millisecond apart, all of them `ageMs` in the past.
const clock = { now: () => start + tick };
const ctx = await createContext(config, { clock, logger: createLogger(config, { stderr: true }) });
try {
  const [account] = await listAccounts(ctx.database.db);
  if (!account) throw new Error('No account: run plauder account create first');
  const widget = await ctx.database.db
    .selectFrom('widgets')
    .select('id')
    .where('account_id', '=', account.id)
    .executeTakeFirstOrThrow();
  for (let done = 0; done < conversations; done += PER_TRANSACTION) {
    const count = Math.min(conversations, done + PER_TRANSACTION) - done;
    await ctx.database.db.transaction().execute(async (trx) => {
      const store = { db: trx, keyring: ctx.keyring };
      const batch: MessageToAppend[] = [];
      const ids: string[] = [];
      for (let c = done; c < done + count; c++) {
        const now = clock.now();
        const visitorId = await insertVisitor(trx, { accountId: account.id, widgetId: widget.id, now });
        const conversationId = await insertConversation(store, {
          accountId: account.id,
          widgetId: widget.id,
          visitorId,
          startRef: randomUUID(),
          now,
        });
        ids.push(conversationId);
        const key = await ctx.keyring.subjectKey(trx, {
          accountId: account.id,
          kind: 'conversation',
          subjectId: conversationId,
        });
        for (let m = 0; m < messagesEach; m++) {
          tick += 1;
          const at = clock.now();
          const messageId = timeOrderedUuid(at);
          const body = `${WORDS[m % WORDS.length]} ${WORDS[(c + m) % WORDS.length]} number ${m} ${'x'.repeat(80)}`;
          batch.push({
            accountId: account.id,
            conversationId,
            clientMessageId: newClientMessageId(),
            author: { kind: 'visitor', visitorId },
            kind: 'text',
            messageId,
            bodySealed: sealMessageBody(key, body, { accountId: account.id, messageId }),
            searchTokens: await messageSearchTokens(store, { accountId: account.id, text: body }),
            now: at,
          });
        }
      }
      const outcomes = await appendMessages(trx, batch);
      const refused = outcomes.find((o) => o.status !== 'stored');
      if (refused) throw new Error(`A seed message was refused: ${refused.status}`);
      // Old conversations are closed ones; the rollups of the close do not matter to this benchmark.
      await trx
        .updateTable('conversations')
        .set({ status: 'closed', closed_at: clock.now() })
        .where('id', 'in', ids)
        .execute();
    });
    if ((done / PER_TRANSACTION) % 50 === 0) {
      process.stderr.write(`seeded ${done + count}/${conversations} conversations\n`);
    }
  }
  process.stdout.write(`${JSON.stringify({ conversations, messages: conversations * messagesEach })}\n`);
} finally {
  await ctx.close();
}
