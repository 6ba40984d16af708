import type { Command } from 'commander';
import type { Account } from '../../domain/accounts/get-account.js';
import { restoreAccount } from '../../domain/accounts/restore-account.js';
import { terminateAccount } from '../../domain/accounts/terminate-account.js';
import { AppError } from '../../domain/errors.js';
import { jsonOption, withContext } from '../command-context.js';
import { createOutput, type Output } from '../output.js';

/** Adds `terminate` and `restore` to the `account` command group (P5: the account's end and its grace period). */
export function addAccountLifecycleCommands(account: Command): void {
  account
    .command('terminate')
    .description('terminate an account: read-only and its widgets off at once, purged after the grace period')
    .requiredOption('--account <id>', 'the account id')
    .option(
      '--grace-days <n>',
      'days until every row, file and key of it is deleted, 0 to 365 (default ACCOUNT_GRACE_DAYS)',
    )
    .addOption(jsonOption())
    .action(async (options: { account: string; graceDays?: string; json?: boolean }) => {
      const out = createOutput(Boolean(options.json));
      const graceDays = options.graceDays === undefined ? undefined : parseGraceDays(options.graceDays);
      const terminated = await withContext((ctx) =>
        terminateAccount(ctx, {
          by: { kind: 'cli', accountId: options.account },
          ...(graceDays === undefined ? {} : { graceDays }),
        }),
      );
      present(out, terminated, Boolean(options.json));
      out.say('Its data stays exportable until then; plauder account restore --account ID undoes the termination.');
    });
  account
    .command('restore')
    .description('make a terminated account active again during its grace period')
    .requiredOption('--account <id>', 'the account id')
    .addOption(jsonOption())
    .action(async (options: { account: string; json?: boolean }) => {
      const restored = await withContext((ctx) =>
        restoreAccount(ctx, { by: { kind: 'cli', accountId: options.account } }),
      );
      present(createOutput(Boolean(options.json)), restored, Boolean(options.json));
    });
}

/** The account's state: times as epoch milliseconds in JSON, as ISO dates (UTC) for people. */
function present(out: Output, account: Account, json: boolean): void {
  const time = (at: number | null) => (json || at === null ? at : new Date(at).toISOString());
  out.result({
    accountId: account.id,
    name: account.name,
    status: account.status,
    terminatedAt: time(account.terminatedAt),
    purgeAfterAt: time(account.purgeAfterAt),
  });
}

function parseGraceDays(value: string): number {
  const days = Number(value);
  if (!/^\d+$/.test(value) || days > 365) {
    throw new AppError('validation_failed', `--grace-days must be a whole number from 0 to 365 (got "${value}")`);
  }
  return days;
}
