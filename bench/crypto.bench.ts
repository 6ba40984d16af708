/**
 * The cost of sealing personal fields: our seal/open against raw AES-256-GCM, and a sealed message
 * insert against the same insert with the body stored as plain bytes. Results on stdout (DESIGN §6),
 * progress on stderr. Run with `npm run bench -- crypto`.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../apps/server/src/config/config.js';
import { createContext, type Context } from '../apps/server/src/context.js';
import { open, seal, type DataKey } from '../apps/server/src/crypto/seal.js';
import { createAccount } from '../apps/server/src/domain/accounts/create-account.js';
import { claimNextSeq, insertConversation } from '../apps/server/src/storage/conversations-repository.js';
import { insertMessage, insertMessageRow } from '../apps/server/src/storage/messages-repository.js';
import { inTransaction, type Store } from '../apps/server/src/storage/sealed-store.js';
import { timeOrderedUuid } from '@plauder/protocol';
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
 * The baseline of sealed_insert: the statements of insertMessage (claim the next seq, insert, a
 * resend conflicting on its client id), with the body stored as its plain UTF-8 bytes: no key
 * lookup, no seal.
 */
function insertPlainMessage(store: Store, input: MessageInput): Promise<{ id: string; seq: number } | undefined> {
  return inTransaction(store, async (tx) => {
    const claimed = await claimNextSeq(tx.db, input);
    if (!claimed) return undefined;
    const id = timeOrderedUuid(input.now);
    const inserted = await insertMessageRow(tx.db, {
      id,
      account_id: input.accountId,
      conversation_id: input.conversationId,
      seq: claimed.lastSeq,
      client_message_id: input.clientMessageId,
      author_kind: input.authorKind,
      operator_id: input.operatorId ?? null,
      kind: input.kind ?? 'text',
      body_sealed: Buffer.from(input.body, 'utf8'),
      created_at: input.now,
      search_tokens: null,
    });
    return inserted ? { id, seq: claimed.lastSeq } : undefined;
  });
}

/** An installation in a fresh DATA_DIR with one account and one conversation, built by the real code. */
async function installation() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-bench-'));
  const ctx: Context = await createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  const { accountId, widget } = await createAccount(ctx, {
    name: 'Bench',
    plan: 'standard',
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
 * sealed_insert (each insert its own transaction, flushed to disk before it is answered, as the
 * server runs) or sealed_insert_nosync (the inserts of a chunk share one transaction: no commit and
 * no flush per insert, so the ratio shows the CPU side): µs per message insert. Both sides append to
 * the same conversation, so they share its table and index growth. Returns the median µs of both sides.
 */
async function sealedInsert(metric: string, commits: 'each' | 'per-chunk') {
  const setup = await installation();
  try {
    const { ctx, accountId, conversationId } = setup;
    const inChunk = <T>(work: (store: Store) => Promise<T>): Promise<T> =>
      commits === 'each'
        ? work(ctx.store)
        : ctx.database.db.transaction().execute((trx) => work({ db: trx, keyring: ctx.keyring }));
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
    const sealed: Batch = (ops) =>
      inChunk(async (store) => {
        for (let i = 0; i < ops; i++) if ((await insertMessage(store, message()))?.duplicate === false) inserted++;
      });
    const plain: Batch = (ops) =>
      inChunk(async (store) => {
        for (let i = 0; i < ops; i++) if (await insertPlainMessage(store, message())) inserted++;
      });
    // At least 200 inserts a round: one fsync can stall for milliseconds, and a round should hold many.
    const ops = await opsForDuration(sealed, { targetMs: 400, minOps: 200, maxOps: 5000 });
    log(`${metric}: commits ${commits}, ${ROUNDS} rounds × ${ops} inserts, alternating with plain inserts every 4`);
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
  const each = await sealedInsert('sealed_insert', 'each');
  const chunked = await sealedInsert('sealed_insert_nosync', 'per-chunk');
  log(
    `commit and flush share per insert: sealed ${us(each.value - chunked.value)}, plain ${us(each.baseline - chunked.baseline)}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[${BENCH}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
