import { describe, expect, it } from 'vitest';
import type { ErasedBatch, ErasureBatch } from './erase-conversation-rows.js';
import { CATCH_UP_PASSES_WITHOUT_HOLD, WalCatchUp } from './wal-catch-up.js';

/** Lets every promise that can settle settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const batch = (id: string): ErasureBatch => ({
  accountId: 'acme',
  conversationIds: [id],
  reason: 'bulk delete',
  now: 0,
  audit: null,
});

const erased = (id: string): ErasedBatch => ({
  conversationIds: [id],
  messages: 1,
  attachments: 0,
  contactIds: [],
  visitors: 0,
  keyIds: [],
  transactionMs: 1,
  processed: 1,
});

/**
 * A writer thread and a checkpoint thread that record what was asked of them, in order: each erasure
 * batch runs until the test ends it, and each checkpoint copies the WAL in full when `copies` says so.
 */
function threads(copies: (pass: number) => boolean) {
  const log: string[] = [];
  const running = new Map<string, () => void>();
  let passes = 0;
  const writer = {
    erase(asked: ErasureBatch) {
      const id = asked.conversationIds[0] as string;
      log.push(`erase ${id}`);
      return new Promise<ErasedBatch>((resolve) => running.set(id, () => resolve(erased(id))));
    },
    async hold() {
      log.push('hold');
      return () => log.push('release');
    },
  };
  const checkpointer = {
    async catchUp() {
      passes++;
      log.push(`checkpoint ${passes}`);
      return copies(passes);
    },
  };
  const end = (id: string) => {
    const resolve = running.get(id);
    if (!resolve) throw new Error(`No batch ${id} runs`);
    resolve();
  };
  return { writer, checkpointer, log, end };
}

describe('a catch-up of the WAL', () => {
  it('waits for the erasure batch under way and holds new ones back, copying the WAL while messages go on', async () => {
    const { writer, checkpointer, log, end } = threads((pass) => pass === 2);
    const walCatchUp = new WalCatchUp(writer, checkpointer);
    const first = walCatchUp.erase(batch('a'));
    await settle();
    const catchingUp = walCatchUp.catchUp();
    const second = walCatchUp.erase(batch('b'));
    await settle();
    // The batch under way goes on; nothing is copied yet, and the next batch waits.
    expect(log).toEqual(['erase a']);

    end('a');
    expect(await first).toEqual(erased('a'));
    await catchingUp;
    await settle();
    // The second checkpoint copied the WAL in full; the writers held still for one more.
    expect(log).toEqual(['erase a', 'checkpoint 1', 'checkpoint 2', 'hold', 'checkpoint 3', 'release', 'erase b']);
    end('b');
    expect(await second).toEqual(erased('b'));
  });

  it('holds every writer still for the last pages after the checkpoints beside the messages', async () => {
    const { writer, checkpointer, log } = threads(() => false);
    const walCatchUp = new WalCatchUp(writer, checkpointer);
    // Two calls while it runs share one catch-up.
    await Promise.all([walCatchUp.catchUp(), walCatchUp.catchUp()]);
    const passes = Array.from({ length: CATCH_UP_PASSES_WITHOUT_HOLD }, (_, i) => `checkpoint ${i + 1}`);
    expect(log).toEqual([...passes, 'hold', `checkpoint ${CATCH_UP_PASSES_WITHOUT_HOLD + 1}`, 'release']);
  });

  it('lets erasure batches start again after a catch-up that failed', async () => {
    const { writer, log, end } = threads(() => false);
    const failing = {
      async catchUp(): Promise<boolean> {
        log.push('checkpoint');
        throw new Error('The checkpoint thread ended');
      },
    };
    const walCatchUp = new WalCatchUp(writer, failing);
    const catchingUp = walCatchUp.catchUp();
    // Asked while the catch-up runs: it waits, then runs all the same.
    const erasing = walCatchUp.erase(batch('a'));
    await expect(catchingUp).rejects.toThrow('The checkpoint thread ended');
    await settle();
    expect(log).toEqual(['checkpoint', 'erase a']);
    end('a');
    expect(await erasing).toEqual(erased('a'));
  });
});
