import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { terminateAccount } from '../domain/accounts/terminate-account.js';
import { setAccountTerminated } from '../storage/account-purge-repository.js';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { AccountStatuses } from './account-status.js';

const MAX_AGE_MS = 5_000;

/** Polls `condition` every few milliseconds until it holds, failing after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe(`the node's account statuses (${testDialect})`, () => {
  let t: TestContext;
  let statuses: AccountStatuses;
  let now: number;
  let acme: string;
  let globex: string;
  beforeEach(async () => {
    t = await createTestContext();
    now = 0;
    statuses = new AccountStatuses(t.ctx, { maxAgeMs: MAX_AGE_MS, now: () => now });
    await statuses.following();
    acme = (await seedOwnerAccount(t.ctx, 'Acme')).accountId;
    globex = (await seedOwnerAccount(t.ctx, 'Globex')).accountId;
  });
  afterEach(async () => {
    await statuses.close();
    await t.cleanup();
  });

  /** Terminates in the database alone, as a termination whose announcement was lost. */
  const terminateUnannounced = (accountId: string) =>
    setAccountTerminated(t.ctx.database.db, { accountId, at: t.clock.now(), purgeAfterAt: t.clock.now() + 1 });

  it('trusts a status it read for the maximum age, and reads it again after', async () => {
    expect(await statuses.isTerminated(acme)).toBe(false);
    expect(await terminateUnannounced(acme)).toBe(true);

    now += MAX_AGE_MS - 1;
    expect(await statuses.isTerminated(acme)).toBe(false);
    await expect(statuses.assertActive(acme)).resolves.toBeUndefined();
    now += 1;
    expect(await statuses.isTerminated(acme)).toBe(true);
    await expect(statuses.assertActive(acme)).rejects.toMatchObject({
      code: 'account_terminated',
      message: expect.stringContaining('delete your conversations') as unknown,
    });
  });

  it('counts a termination announced on the bus at once, and tells the listeners of that account only', async () => {
    expect(await statuses.isTerminated(acme)).toBe(false);
    const heard: string[] = [];
    statuses.listen(acme, { accountTerminated: () => heard.push('acme window') });
    const unlisten = statuses.listen(acme, { accountTerminated: () => heard.push('closed window') });
    statuses.listen(globex, { accountTerminated: () => heard.push('globex window') });
    unlisten();

    await terminateAccount(t.ctx, { by: { kind: 'cli', accountId: acme } });

    await waitFor(() => heard.length > 0);
    expect(heard).toEqual(['acme window']);
    // Within the maximum age of the read that said active.
    expect(await statuses.isTerminated(acme)).toBe(true);
    expect(await statuses.isTerminated(globex)).toBe(false);
  });

  it('treats an unknown account as not terminated, leaving the answer to the caller', async () => {
    expect(await statuses.isTerminated('00000000-0000-4000-8000-000000000000')).toBe(false);
  });
});
