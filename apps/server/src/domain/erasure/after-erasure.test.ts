import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileStore } from '../../adapters/file-store/file-store.js';
import type { Context } from '../../context.js';
import { conversationFilesPrefix } from '../../storage/attachments-repository.js';
import { capturingLogger } from '../../test-support/capturing-logger.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { FileRemovals } from './after-erasure.js';

/** A promise with its resolve at hand. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe(`FileRemovals (${testDialect})`, () => {
  let t: TestContext;
  let logLines: string[];
  beforeEach(async () => {
    const capture = capturingLogger({ level: 'error' });
    logLines = capture.lines;
    t = await createTestContext({ logger: capture.logger });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const accountId = 'a1';
  const key = (conversationId: string) => `${conversationFilesPrefix({ accountId, conversationId })}file`;

  /**
   * The test context's own file store, each deletePrefix of which waits for its gate (by prefix) and
   * records when it starts and ends; `failing` prefixes fail after their gate.
   */
  function gatedContext(failing: readonly string[] = []) {
    const store = t.ctx.fileStore;
    const gates = new Map<string, ReturnType<typeof gate>>();
    const events: string[] = [];
    const gated: FileStore = {
      put: (k, data) => store.put(k, data),
      get: (k) => store.get(k),
      delete: (k) => store.delete(k),
      close: () => store.close(),
      async deletePrefix(prefix) {
        const conversationId = prefix.split('/').at(-2) ?? '';
        events.push(`start ${conversationId}`);
        const own = gate();
        gates.set(conversationId, own);
        await own.opened;
        events.push(`end ${conversationId}`);
        if (failing.includes(conversationId)) throw new Error(`The store lost ${conversationId}`);
        return store.deletePrefix(prefix);
      },
    };
    const ctx: Context = { ...t.ctx, fileStore: gated };
    const open = (conversationId: string) => gates.get(conversationId)?.open();
    return { ctx, events, open };
  }

  /** Lets every callback and timer queued so far run. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

  it("removes each batch's files after the one before, answers a start once the removal before it ended, and settles after the last", async () => {
    for (const id of ['c1', 'c2', 'c3']) await t.ctx.fileStore.put(key(id), Buffer.from('sealed'));
    const { ctx, events, open } = gatedContext();
    const removals = new FileRemovals(ctx);

    // Nothing ran before the first: it answers at once, its removal under way.
    await removals.start({ accountId, conversationIds: ['c1'] });
    await settle();
    expect(events).toEqual(['start c1']);

    let secondStarted = false;
    const second = removals.start({ accountId, conversationIds: ['c2', 'c3'] }).then(() => (secondStarted = true));
    await settle();
    expect(secondStarted).toBe(false);
    expect(events).toEqual(['start c1']);

    open('c1');
    await second;
    await settle();
    expect(events.slice(0, 2)).toEqual(['start c1', 'end c1']);
    expect(events.slice(2).sort()).toEqual(['start c2', 'start c3']);
    expect(await t.ctx.fileStore.get(key('c1'))).toBeUndefined();

    let settled = false;
    const all = removals.settled().then(() => (settled = true));
    open('c2');
    await settle();
    expect(settled).toBe(false);
    open('c3');
    await all;
    expect(await t.ctx.fileStore.get(key('c2'))).toBeUndefined();
    expect(await t.ctx.fileStore.get(key('c3'))).toBeUndefined();
  });

  it('logs a removal that fails and goes on with the next', async () => {
    for (const id of ['c1', 'c2']) await t.ctx.fileStore.put(key(id), Buffer.from('sealed'));
    const { ctx, open } = gatedContext(['c1']);
    const removals = new FileRemovals(ctx);

    await removals.start({ accountId, conversationIds: ['c1'] });
    await settle();
    open('c1');
    await removals.start({ accountId, conversationIds: ['c2'] });
    await settle();
    open('c2');
    await removals.settled();

    const logged = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({
        accountId,
        conversationId: 'c1',
        msg: 'Could not delete the files of an erased conversation',
      }),
    ]);
    expect(await t.ctx.fileStore.get(key('c1'))).toBeDefined();
    expect(await t.ctx.fileStore.get(key('c2'))).toBeUndefined();
  });
});
