import { z } from 'zod';
import { purgeAccount } from '../domain/accounts/purge-account.js';
import { listAccountsDueForPurge } from '../storage/account-purge-repository.js';
import { defineJob } from './job.js';

/** Accounts looked up at a time; each is then purged to its end before the next. */
const ACCOUNTS_PER_ROUND = 10;

/**
 * Deletes every terminated account whose grace period has ended, hourly (P5): every row, file and key
 * of it (purgeAccount). A killed run leaves the account half-deleted and still due: the next run, or
 * this one resumed, goes on with it.
 */
export const purgeAccountsJob = defineJob({
  name: 'purge-accounts',
  payload: z.object({}),
  schedule: '23 * * * *',
  unit: 'accounts',
  async run(ctx, job) {
    const summary = { accounts: 0, rows: 0, files: 0 };
    for (;;) {
      const due = await listAccountsDueForPurge(ctx.database.db, { now: ctx.clock.now(), limit: ACCOUNTS_PER_ROUND });
      let purgedThisRound = 0;
      for (const accountId of due) {
        const purge = await purgeAccount(ctx, {
          accountId,
          afterBatch: (rows) =>
            job.progress({ done: job.done + summary.accounts, cursor: JSON.stringify({ accountId, rows }) }),
        });
        if (!purge.purged) continue;
        purgedThisRound += 1;
        summary.accounts += 1;
        summary.rows += purge.rows;
        summary.files += purge.files;
        await job.progress({ done: job.done + summary.accounts });
      }
      // A round that purged nothing (an account restored or purged by someone else meanwhile) ends it.
      if (due.length < ACCOUNTS_PER_ROUND || purgedThisRound === 0) break;
    }
    return summary;
  },
});
