/**
 * The cost of sealing personal fields: our seal/open against raw AES-256-GCM, and a sealed message
 * insert against the same insert with the body stored as plain bytes. Results on stdout (DESIGN §6),
 * progress on stderr. Run with `npm run bench -- crypto`.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../apps/server/src/config/config.js';
import { createContext, type Context } from '../apps/server/src/context.js';
import { open, seal, type DataKey } from '../apps/server/src/crypto/seal.js';
import { createAccount } from '../apps/server/src/domain/accounts/create-account.js';
import { insertConversation } from '../apps/server/src/storage/conversations-repository.js';
import { insertMessage } from '../apps/server/src/storage/messages-repository.js';
import { inTransaction, type Store } from '../apps/server/src/storage/sealed-store.js';
import { interleavedRounds, median, opsForDuration, type Batch } from './lib/measure.js';
import { progress, report } from './lib/report.js';

const BENCH = 'crypto';
const ROUNDS = 7;
const FIELD_BYTES = 200;

const log = (message: string) => progress(BENCH, message);
const us = (x: number) => `${x.toFixed(2)} µs`;

/** seal_open_200b: one seal plus one open of a 200-byte field, against raw AES-256-GCM doing the same. */
async function sealOpen200b(): Promise<void> {
  const key: DataKey = { id: randomUUID(), key: randomBytes(32) };
  const field = randomBytes(FIELD_BYTES);
  const context = { accountId: randomUUID(), table: 'messages', column: 'body_sealed', rowId: randomUUID() };
  let openedBytes = 0;

  const ours: Batch = (ops) => {
    for (let i = 0; i < ops; i++) openedBytes += open(key, seal(key, field, context), context).length;
  };
  // The physical-limit proxy: fresh IV, encrypt, tag, decrypt with the tag; no header, no AAD, no framing.
  const raw: Batch = (ops) => {
    for (let i = 0; i < ops; i++) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key.key, iv);
      const ciphertext = Buffer.concat([cipher.update(field), cipher.final()]);
      const decipher = createDecipheriv('aes-256-gcm', key.key, iv);
      decipher.setAuthTag(cipher.getAuthTag());
      openedBytes += Buffer.concat([decipher.update(ciphertext), decipher.final()]).length;
    }
  };

  if (!open(key, seal(key, field, context), context).equals(field)) throw new Error('seal/open does not round-trip');
  const ops = await opsForDuration(ours, { targetMs: 250, minOps: 1000, maxOps: 200_000 });
  log(`seal_open_200b: ${ROUNDS} rounds × ${ops} ops, alternating with raw AES-256-GCM every 100 ops`);
  openedBytes = 0;
  const rounds = await interleavedRounds({
    value: ours,
    baseline: raw,
    rounds: ROUNDS,
    ops,
    chunkOps: 100,
    onRound: (round, value, baseline) => log(`  round ${round}: seal+open ${us(value)}, raw ${us(baseline)}`),
  });
  // Every operation of both sides (and the warm-up round) must have opened the whole field.
  if (openedBytes !== (ROUNDS + 1) * 2 * ops * FIELD_BYTES) throw new Error(`opened ${openedBytes} bytes`);
  report({
    bench: BENCH,
    metric: 'seal_open_200b',
    unit: 'µs',
    value: median(rounds.valueUs),
    baseline: median(rounds.baselineUs),
    target: 'ratio <= 1.5',
  });
}

type MessageInput = Parameters<typeof insertMessage>[1];

/**
 * The baseline of sealed_insert: the statements of insertMessage in one transaction (idempotency
 * lookup, sequence bump, insert), with the body stored as its plain UTF-8 bytes: no key lookup, no seal.
 */
function insertPlainMessage(store: Store, input: MessageInput): Promise<{ id: string; seq: number } | undefined> {
  return inTransaction(store, async (tx) => {
    const existing = await tx.db
      .selectFrom('messages')
      .select(['id', 'seq'])
      .where('account_id', '=', input.accountId)
      .where('conversation_id', '=', input.conversationId)
      .where('client_message_id', '=', input.clientMessageId)
      .executeTakeFirst();
    if (existing) return existing;
    const bumped = await tx.db
      .updateTable('conversations')
      .set((eb) => ({ last_seq: eb('last_seq', '+', 1), updated_at: input.now }))
      .where('account_id', '=', input.accountId)
      .where('id', '=', input.conversationId)
      .returning('last_seq')
      .executeTakeFirst();
    if (!bumped) return undefined;
    const id = randomUUID();
    await tx.db
      .insertInto('messages')
      .values({
        id,
        account_id: input.accountId,
        conversation_id: input.conversationId,
        seq: bumped.last_seq,
        client_message_id: input.clientMessageId,
        author_kind: input.authorKind,
        operator_id: input.operatorId ?? null,
        kind: input.kind ?? 'text',
        body_sealed: Buffer.from(input.body, 'utf8'),
        created_at: input.now,
      })
      .execute();
    return { id, seq: bumped.last_seq };
  });
}

/** An installation in a fresh DATA_DIR with one account and one conversation, built by the real code. */
async function installation(synchronous: 'FULL' | 'NORMAL') {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-bench-'));
  const ctx: Context = await createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  // The connection is Kysely's only one, so the pragma holds for every statement after it.
  if (synchronous === 'NORMAL') await sql`pragma synchronous = NORMAL`.execute(ctx.database.db);
  const mode = await sql<{ synchronous: number }>`pragma synchronous`.execute(ctx.database.db);
  const expected = synchronous === 'FULL' ? 2 : 1;
  if (mode.rows[0]?.synchronous !== expected) throw new Error(`SQLite synchronous is not ${synchronous}`);
  const { accountId, widget } = await createAccount(ctx, {
    name: 'Bench',
    plan: 'bench',
    owner: { email: 'owner@bench.invalid', displayName: 'Owner', password: 'bench-password' },
    actor: { kind: 'cli', id: null },
  });
  const conversationId = await insertConversation(ctx.store, {
    accountId,
    widgetId: widget.id,
    visitorId: null,
    now: ctx.clock.now(),
  });
  const close = async () => {
    await ctx.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { ctx, dataDir, accountId, conversationId, close };
}

/**
 * sealed_insert (synchronous=FULL, as the server runs) or sealed_insert_nosync (NORMAL: no fsync per
 * commit in WAL mode, so the ratio shows the CPU side): µs per message insert, one transaction each.
 * Both sides append to the same conversation, so they share its table and index growth. Returns the
 * median µs of both sides.
 */
async function sealedInsert(metric: string, synchronous: 'FULL' | 'NORMAL') {
  const setup = await installation(synchronous);
  try {
    const { ctx, accountId, conversationId } = setup;
    const body = 'x'.repeat(FIELD_BYTES);
    const message = (): MessageInput => ({
      accountId,
      conversationId,
      clientMessageId: randomUUID(),
      authorKind: 'visitor',
      body,
      now: ctx.clock.now(),
    });
    let inserted = 0;
    const sealed: Batch = async (ops) => {
      for (let i = 0; i < ops; i++) if ((await insertMessage(ctx.store, message()))?.duplicate === false) inserted++;
    };
    const plain: Batch = async (ops) => {
      for (let i = 0; i < ops; i++) if (await insertPlainMessage(ctx.store, message())) inserted++;
    };
    // At least 200 inserts a round: one fsync can stall for milliseconds, and a round should hold many.
    const ops = await opsForDuration(sealed, { targetMs: 400, minOps: 200, maxOps: 5000 });
    log(
      `${metric}: synchronous=${synchronous}, ${ROUNDS} rounds × ${ops} inserts, alternating with plain inserts every 4`,
    );
    log(`  database in ${setup.dataDir}`);
    inserted = 0;
    const rounds = await interleavedRounds({
      value: sealed,
      baseline: plain,
      rounds: ROUNDS,
      ops,
      chunkOps: 4,
      onRound: (round, value, baseline) => log(`  round ${round}: sealed ${us(value)}, plain ${us(baseline)}`),
    });
    if (inserted !== (ROUNDS + 1) * 2 * ops) throw new Error(`${metric}: inserted ${inserted} messages`);
    const value = median(rounds.valueUs);
    const baseline = median(rounds.baselineUs);
    log(`  ${Math.round(1e6 / value)} sealed rows/s, ${Math.round(1e6 / baseline)} plain rows/s`);
    report({ bench: BENCH, metric, unit: 'µs', value, baseline, target: 'ratio <= 2' });
    return { value, baseline };
  } finally {
    await setup.close();
  }
}

async function main(): Promise<void> {
  await sealOpen200b();
  const full = await sealedInsert('sealed_insert', 'FULL');
  const normal = await sealedInsert('sealed_insert_nosync', 'NORMAL');
  log(
    `fsync share per commit (FULL − NORMAL): sealed ${us(full.value - normal.value)}, plain ${us(full.baseline - normal.baseline)}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[${BENCH}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
