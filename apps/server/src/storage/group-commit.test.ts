import { randomBytes, randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { appendMessages } from './append-message.js';
import { insertAuditEntry } from './audit-repository.js';
import { insertConversation } from './conversations-repository.js';
import { GroupCommit } from './group-commit.js';
import type { Schema } from './schema.js';
import { timeOrderedUuid } from '@plauder/protocol';
import { insertWidget } from './widgets-repository.js';

type Work = (trx: Transaction<Schema>) => Promise<unknown>;

describe(`writes through a group commit (${testDialect})`, () => {
  let t: TestContext;
  let accountId: string;
  let group: GroupCommit<Work, unknown>;
  let batches: number[];
  beforeEach(async () => {
    t = await createTestContext();
    batches = [];
    // Each item is a piece of work, run one after another in the batch's transaction.
    group = new GroupCommit<Work, unknown>(t.ctx.database.db, async (trx, works) => {
      batches.push(works.length);
      const results = [];
      for (const work of works) results.push(await work(trx));
      return results;
    });
    ({ accountId } = await seedOwnerAccount(t.ctx, 'batch'));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const audit = (action: string) => ({
    accountId,
    actorKind: 'system' as const,
    actorId: null,
    action,
    targetKind: null,
    targetIds: [],
    at: t.clock.now(),
  });

  it('commits concurrent writes in shared transactions, each with its own answer', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        group.run(async (trx) => {
          await insertAuditEntry(trx, audit(`shared.${i}`));
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // Queued in one turn of the event loop, they share one transaction.
    expect(batches).toEqual([40]);
  });

  it('runs work alone in its turn: after the items queued before it, before those queued after it', async () => {
    const order: string[] = [];
    const item = (name: string) =>
      group.run(async (trx) => {
        order.push(name);
        await insertAuditEntry(trx, audit(name));
      });
    const alone = (name: string, fail = false) =>
      group.runAlone(async () => {
        order.push(name);
        await t.ctx.database.db.transaction().execute((trx) => insertAuditEntry(trx, audit(name)));
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([
      item('a'),
      item('b'),
      alone('alone.1'),
      item('c'),
      alone('alone.2', true),
      item('d'),
    ]);
    expect(order).toEqual(['a', 'b', 'alone.1', 'c', 'alone.2', 'd']);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseFulfilledResult<unknown>).value).toBe('alone.1');
    // The items on either side of the work alone never share its turn: three batches of items.
    expect(batches).toEqual([2, 1, 1]);
  });

  it('lets the items queued behind work alone commit between its transactions when it gives way', async () => {
    const order: string[] = [];
    const answered: string[] = [];
    const item = (name: string) =>
      group
        .run(async (trx) => {
          order.push(name);
          await insertAuditEntry(trx, audit(name));
          return name;
        })
        .then((value) => {
          answered.push(name);
          return value;
        });
    const seen: boolean[] = [];
    const writes: Promise<unknown>[] = [item('before')];
    const work = group.runAlone(async (turns) => {
      for (let part = 1; part <= 3; part++) {
        await t.ctx.database.db.transaction().execute(async (trx) => {
          order.push(`alone.${part}`);
          await insertAuditEntry(trx, audit(`alone.${part}`));
          // Queued while the work is in its first transaction: it waits behind the work.
          if (part === 1) writes.push(item('during'));
        });
        seen.push(await turns.waiting());
        await turns.giveWay();
      }
      answered.push('alone');
    });
    await Promise.all([work, ...writes]);
    expect(order).toEqual(['before', 'alone.1', 'during', 'alone.2', 'alone.3']);
    expect(seen).toEqual([true, false, false]);
    // Committed and answered before the work went on, not after all of it.
    expect(answered).toEqual(['before', 'during', 'alone']);
    expect(batches).toEqual([1, 1]);
  });

  it('lets through the items behind other work alone too, four batches a turn at most; the works keep their order', async () => {
    const order: string[] = [];
    const item = (name: string) =>
      group.run(async (trx) => {
        order.push(name);
        await insertAuditEntry(trx, audit(name));
        return name;
      });
    const writes: Promise<unknown>[] = [];
    let batchesAtGiveWay: number[] = [];
    const first = group.runAlone(async (turns) => {
      await t.ctx.database.db.transaction().execute(async (trx) => {
        order.push('first.1');
        await insertAuditEntry(trx, audit('first.1'));
        writes.push(
          group.runAlone(async () => {
            order.push('second');
          }),
        );
        // More than a turn lets through: four batches of 256, the rest wait for the next turn.
        for (let i = 0; i < 4 * 256 + 50; i++) writes.push(item(`late.${i}`));
      });
      expect(await turns.waiting()).toBe(true);
      await turns.giveWay();
      batchesAtGiveWay = [...batches];
      await t.ctx.database.db.transaction().execute((trx) => {
        order.push('first.2');
        return insertAuditEntry(trx, audit('first.2'));
      });
    });
    await first;
    await Promise.all(writes);
    expect(batchesAtGiveWay).toEqual([256, 256, 256, 256]);
    expect(order.slice(0, 2)).toEqual(['first.1', 'late.0']);
    expect(order.indexOf('first.2')).toBe(1 + 4 * 256);
    // The second work waited for the first, whatever the first let through.
    expect(order.indexOf('second')).toBeGreaterThan(order.indexOf('first.2'));
    expect(order.filter((name) => name.startsWith('late.'))).toHaveLength(4 * 256 + 50);
  });

  it('runs a failed batch again write by write: only the failing ones fail, every other commits once', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        group.run(async (trx) => {
          await insertAuditEntry(trx, audit(`write.${i}`));
          if (i % 10 === 7) throw new Error(`write ${i} fails after its insert`);
          return i;
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(4);
    // The shared batch failed and rolled back; then each write ran alone.
    expect(batches).toEqual([40, ...Array.from({ length: 40 }, () => 1)]);
    expect(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))).toEqual(
      Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 10 !== 7),
    );
    const rows = await t.ctx.database.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'write.%')
      .execute();
    expect(rows.map((r) => r.action).sort()).toEqual(
      Array.from({ length: 40 }, (_, i) => `write.${i}`)
        .filter((_, i) => i % 10 !== 7)
        .sort(),
    );
  });

  it('answers only after the commit: what a write returned is visible to everyone', async () => {
    const action = `seen.${randomUUID()}`;
    await group.run((trx) => insertAuditEntry(trx, audit(action)));
    const row = await t.ctx.database.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', action)
      .executeTakeFirst();
    expect(row?.action).toBe(action);
  });

  it('rolls back a write that fails alone in its transaction, and answers with its own error', async () => {
    const action = `alone.${randomUUID()}`;
    await expect(
      group.run(async (trx) => {
        await insertAuditEntry(trx, audit(action));
        throw new Error('the lone write fails');
      }),
    ).rejects.toThrow('the lone write fails');
    const row = await t.ctx.database.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', action)
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('stores a batch of messages conversation by conversation, and answers them in the order given', async () => {
    const now = t.clock.now();
    const widget = await insertWidget(t.ctx.database.db, { accountId, name: 'Website', now });
    const conversations: string[] = [];
    for (let i = 0; i < 3; i++) {
      conversations.push(
        await insertConversation(t.ctx.store, { accountId, widgetId: widget.id, visitorId: null, now }),
      );
    }
    // Stored as given: the order of the seqs is what this test reads.
    const sealedNote = randomBytes(64);
    const { operatorId } = await t.ctx.database.db
      .selectFrom('operators')
      .select('id as operatorId')
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    // Interleaved across the conversations, as messages arrive.
    const messages = [2, 0, 2, 1, 0, 2].map((c, i) => ({
      accountId,
      conversationId: conversations[c] as string,
      clientMessageId: randomUUID(),
      author: { kind: 'operator' as const, operatorId },
      kind: 'note' as const,
      messageId: timeOrderedUuid(now + i),
      bodySealed: sealedNote,
      now: now + i,
    }));
    const appended = new GroupCommit(t.ctx.database.db, appendMessages);
    const outcomes = await Promise.all(messages.map((message) => appended.run(message)));
    // Each conversation's messages took seqs 1, 2, 3… in the order given.
    expect(outcomes.map((outcome) => ('seq' in outcome ? outcome.seq : undefined))).toEqual([1, 1, 2, 1, 2, 3]);
    expect(outcomes.map((outcome) => ('messageId' in outcome ? outcome.messageId : undefined))).toEqual(
      messages.map((message) => message.messageId),
    );
  });
});
