import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { ReferenceNotFoundError } from './account-references.js';
import {
  deleteCannedResponse,
  getCannedResponse,
  insertCannedResponse,
  listCannedResponses,
  SHORTCUT_TAKEN,
  updateCannedResponse,
  type CannedResponseRecord,
} from './canned-responses-repository.js';

function record(input: { accountId: string; createdBy: string | null; shortcut: string; now: number }) {
  return {
    id: randomUUID(),
    account_id: input.accountId,
    shortcut: input.shortcut,
    title: `Title of ${input.shortcut}`,
    body: `Body of ${input.shortcut}`,
    created_by: input.createdBy,
    created_at: input.now,
    updated_at: input.now,
  } satisfies CannedResponseRecord;
}

describe(`canned responses repository (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('answers a taken shortcut as a result, per account, and writes nothing', async () => {
    const { db } = t.ctx.database;
    const a = await seedOwnerAccount(t.ctx, 'alpha');
    const b = await seedOwnerAccount(t.ctx, 'beta');
    const hello = record({ accountId: a.accountId, createdBy: a.operatorId, shortcut: 'hello', now: a.now });
    expect(await insertCannedResponse(db, hello)).toBe('inserted');
    const again = record({ accountId: a.accountId, createdBy: null, shortcut: 'hello', now: a.now });
    expect(await insertCannedResponse(db, again)).toBe(SHORTCUT_TAKEN);
    const theirs = record({ accountId: b.accountId, createdBy: b.operatorId, shortcut: 'hello', now: b.now });
    expect(await insertCannedResponse(db, theirs)).toBe('inserted');
    expect(await listCannedResponses(db, { accountId: a.accountId })).toEqual([hello]);
  });

  it('keeps the surrounding transaction usable after a taken shortcut', async () => {
    const { db } = t.ctx.database;
    const a = await seedOwnerAccount(t.ctx, 'alpha');
    const base = { accountId: a.accountId, createdBy: a.operatorId, now: a.now };
    const hello = record({ ...base, shortcut: 'hello' });
    const bye = record({ ...base, shortcut: 'bye' });
    await insertCannedResponse(db, hello);
    await insertCannedResponse(db, bye);

    await db.transaction().execute(async (tx) => {
      const where = { accountId: a.accountId, cannedResponseId: bye.id, now: a.now + 1 };
      expect(await updateCannedResponse(tx, { ...where, changes: { shortcut: 'hello' } })).toBe(SHORTCUT_TAKEN);
      expect(await insertCannedResponse(tx, record({ ...base, shortcut: 'hello' }))).toBe(SHORTCUT_TAKEN);
      // PostgreSQL would refuse every further statement here, had the failed write not been rolled back alone.
      expect(await updateCannedResponse(tx, { ...where, changes: { title: 'Farewell' } })).toMatchObject({
        shortcut: 'bye',
        title: 'Farewell',
        updated_at: a.now + 1,
      });
    });
    expect((await listCannedResponses(db, { accountId: a.accountId })).map((c) => c.title)).toEqual([
      'Farewell',
      hello.title,
    ]);
  });

  it("finds, changes and deletes none of another account's canned responses", async () => {
    const { db } = t.ctx.database;
    const a = await seedOwnerAccount(t.ctx, 'alpha');
    const b = await seedOwnerAccount(t.ctx, 'beta');
    const theirs = record({ accountId: b.accountId, createdBy: b.operatorId, shortcut: 'hello', now: b.now });
    await insertCannedResponse(db, theirs);
    const where = { accountId: a.accountId, cannedResponseId: theirs.id };

    expect(await getCannedResponse(db, where)).toBeUndefined();
    expect(await updateCannedResponse(db, { ...where, changes: { body: 'Hijacked' }, now: a.now })).toBeUndefined();
    expect(await deleteCannedResponse(db, where)).toBe(false);
    expect(await getCannedResponse(db, { accountId: b.accountId, cannedResponseId: theirs.id })).toEqual(theirs);
  });

  it("refuses another account's operator as author, writing nothing", async () => {
    const { db } = t.ctx.database;
    const a = await seedOwnerAccount(t.ctx, 'alpha');
    const b = await seedOwnerAccount(t.ctx, 'beta');
    const stray = record({ accountId: a.accountId, createdBy: b.operatorId, shortcut: 'hello', now: a.now });
    await expect(insertCannedResponse(db, stray)).rejects.toBeInstanceOf(ReferenceNotFoundError);
    expect(await listCannedResponses(db, { accountId: a.accountId })).toEqual([]);
  });
});
