import type { PrivacyReportDto, PrivacyReportLineDto } from '@plauder/protocol';
import type { Command } from 'commander';
import { getInstallationPrivacyReport } from '../../domain/privacy/privacy-report.js';
import { jsonOption, withContext } from '../command-context.js';
import { createOutput } from '../output.js';

/** The exit status of `plauder privacy report` when a line does not hold (as `reports verify` on a drift). */
export const NOT_HELD_EXIT_CODE = 3;

const HOLDS = 'holds';
const NOT_HELD = 'does not hold';

/**
 * The report for people: a heading, then one line per check under its part, each `holds` or
 * `does not hold`, its title and its detail in aligned columns, and a count at the end.
 */
export function privacyReportText(report: PrivacyReportDto): string[] {
  const all = [...report.installation, ...report.accounts.flatMap((account) => account.lines)];
  const titleWidth = Math.max(0, ...all.map((line) => line.title.length));
  const row = (line: PrivacyReportLineDto) =>
    `  ${(line.holds ? HOLDS : NOT_HELD).padEnd(NOT_HELD.length)}  ${line.title.padEnd(titleWidth)}  ${line.detail}`;
  const at = new Date(report.generatedAt).toISOString().slice(0, 16).replace('T', ' ');
  const text = [`Privacy report of this installation, ${at} UTC, DATA_REGION ${report.dataRegion}`, '', 'Installation'];
  text.push(...report.installation.map(row));
  for (const account of report.accounts) {
    text.push('', `Account ${account.name} (${account.accountId})`, ...account.lines.map(row));
  }
  const failing = all.filter((line) => !line.holds).length;
  text.push(
    '',
    failing === 0
      ? `All ${all.length} lines hold.`
      : `${all.length - failing} of ${all.length} lines hold; ${failing} ${failing === 1 ? 'does' : 'do'} not.`,
  );
  return text;
}

/** `plauder privacy report`: whether the privacy promises hold, from the database and the configuration. */
export function registerPrivacyCommands(cli: Command): void {
  const privacy = cli.command('privacy').description("the installation's privacy promises");
  privacy
    .command('report')
    .description(
      `check each privacy promise against the database and the configuration, one line each (exit status ${NOT_HELD_EXIT_CODE} if one does not hold)`,
    )
    .option('--account <id>', 'only this account (default: every account)')
    .addOption(jsonOption())
    .action(async (options: { account?: string; json?: boolean }) => {
      const out = createOutput(Boolean(options.json));
      const report = await withContext((ctx) =>
        getInstallationPrivacyReport(ctx, options.account === undefined ? {} : { accountId: options.account }),
      );
      if (options.json) out.result({ ...report });
      for (const line of privacyReportText(report)) out.say(line);
      if (!report.holds) process.exitCode = NOT_HELD_EXIT_CODE;
    });
}
