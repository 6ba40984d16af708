import type { Command } from 'commander';
import { MAX_DRIFTS_LISTED, verifyRollups, type RollupDrift } from '../../domain/reports/verify-rollups.js';
import { jsonOption, withContext } from '../command-context.js';
import { createOutput } from '../output.js';

/** The exit status of `plauder reports verify` when rollups drifted (and were not repaired). */
export const DRIFT_EXIT_CODE = 3;

function driftLine(drift: RollupDrift): string {
  const widget = drift.widgetId || '(no widget)';
  const operator = drift.operatorId || '(no operator)';
  return `  ${drift.accountId} ${drift.day} widget ${widget} operator ${operator} ${drift.metric}: stored ${drift.stored}, recounted ${drift.recounted}`;
}

/** `plauder reports verify`: the daily rollups recounted from the rollup events. */
export function registerReportCommands(cli: Command): void {
  const reports = cli.command('reports').description("the accounts' reports (rollups)");
  reports
    .command('verify')
    .description(
      `recount the daily rollups from the rollup events and say what drifted (exit status ${DRIFT_EXIT_CODE} if any did)`,
    )
    .option('--account <id>', 'only this account (default: every account)')
    .option('--repair', 'rewrite the drifted days from the events')
    .addOption(jsonOption())
    .action(async (options: { account?: string; repair?: boolean; json?: boolean }) => {
      const out = createOutput(Boolean(options.json));
      const found = await withContext((ctx) =>
        verifyRollups(ctx, {
          ...(options.account === undefined ? {} : { accountId: options.account }),
          repair: options.repair === true,
          onAccount: (accountId, counts) =>
            out.say(
              `${accountId}: ${counts.rows} day rows, ${counts.driftedRows} drifted${options.repair ? `, ${counts.repaired} repaired` : ''}`,
            ),
        }),
      );
      if (found.drifts.length > 0) {
        const first = found.drifts.length === MAX_DRIFTS_LISTED ? ` (the first ${MAX_DRIFTS_LISTED})` : '';
        out.say(`drifted metrics${first}:`);
        for (const drift of found.drifts) out.say(driftLine(drift));
      }
      out.result(
        options.json
          ? { ...found }
          : {
              accounts: found.accounts,
              rows: found.rows,
              drifted: found.driftedRows,
              ...(options.repair ? { repaired: found.repaired } : {}),
            },
      );
      if (found.driftedRows > found.repaired) process.exitCode = DRIFT_EXIT_CODE;
    });
}
