import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { insertInvitation, INVITATION_PENDING, listPendingInvitations } from './invitations-repository.js';
import { EMAIL_TAKEN, findLoginRecord, insertOperator } from './operators-repository.js';
import { inTransaction } from './sealed-store.js';

describe(`unique violations answered as results (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('answers a second invitation of one email in an account as pending, and the transaction goes on', async () => {
    const { accountId, now } = await seedOwnerAccount(t.ctx, 'alpha');
    const other = await seedOwnerAccount(t.ctx, 'beta');
    const invitation = (email: string, of = accountId) => ({
      accountId: of,
      email,
      role: 'operator' as const,
      tokenHash: randomUUID(),
      createdBy: null,
      now,
      expiresAt: now + 60_000,
    });
    await inTransaction(t.ctx.store, async (tx) => {
      expect(await insertInvitation(tx, invitation('same@example.test'))).toMatchObject({ email: 'same@example.test' });
      expect(await insertInvitation(tx, invitation('same@example.test'))).toBe(INVITATION_PENDING);
      // Still usable after the violation (PostgreSQL would have aborted the transaction without a savepoint).
      expect(await insertInvitation(tx, invitation('next@example.test'))).toMatchObject({ email: 'next@example.test' });
    });
    expect(await insertInvitation(t.ctx.store, invitation('same@example.test', other.accountId))).not.toBe(
      INVITATION_PENDING,
    );
    const listed = await listPendingInvitations(t.ctx.store, { accountId, now });
    expect(listed.map((i) => i.email).sort()).toEqual(['next@example.test', 'same@example.test']);
  });

  it('answers an operator email taken already as a result, writing nothing', async () => {
    const { accountId, now } = await seedOwnerAccount(t.ctx, 'alpha');
    const fields = { accountId, displayName: 'Ada', role: 'operator' as const, passwordHash: 'not-a-hash', now };
    const first = await insertOperator(t.ctx.store, { ...fields, email: 'ada@example.test' });
    expect(first).not.toBe(EMAIL_TAKEN);
    expect(await insertOperator(t.ctx.store, { ...fields, email: 'ada@example.test' })).toBe(EMAIL_TAKEN);
    const found = await findLoginRecord(t.ctx.store, 'ada@example.test');
    expect(found?.operator.id).toBe(first === EMAIL_TAKEN ? undefined : first.id);
    const count = await t.ctx.database.db
      .selectFrom('operators')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  });
});
