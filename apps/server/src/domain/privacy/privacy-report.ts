import type { AccountFunctionDto, PrivacyReportAccountDto, PrivacyReportDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { findAccount } from '../../storage/accounts-repository.js';
import { accountIdsToWalk } from '../accounts/accounts-to-walk.js';
import { AppError } from '../errors.js';
import { listAccountFunctions } from '../functions/account-functions.js';
import { requireRole, type Principal } from '../principal.js';
import { egressLine, processorsLine, retentionLine, subProcessorsOf, visitorIpLine } from './account-lines.js';
import {
  backupLine,
  dataMapLine,
  dataRegionLine,
  functionsLine,
  masterKeyLine,
  storeLines,
} from './installation-lines.js';

/**
 * The privacy report of the caller's account (admin and up): the installation's lines, then the
 * account's. Nothing of another account is read into it; the optional functions line says what is set
 * up, not how many other accounts use it.
 */
export function getPrivacyReport(ctx: Context, input: { by: Principal }): Promise<PrivacyReportDto> {
  requireRole(input.by, 'admin');
  return privacyReport(ctx, { accountIds: [input.by.accountId], wholeInstallation: false });
}

/**
 * The privacy report at the command line: the installation's lines and every account's, or only the
 * account `accountId` (`not_found` for an id that is no account's).
 */
export async function getInstallationPrivacyReport(
  ctx: Context,
  input: { accountId?: string },
): Promise<PrivacyReportDto> {
  const accountIds = await accountIdsToWalk(ctx.database.db, input.accountId);
  return privacyReport(ctx, { accountIds, wholeInstallation: input.accountId === undefined });
}

/**
 * Every line computed from the database and the configuration as they are now (DESIGN P9: an
 * installation proves its promises with one command); `holds` is true when every line does.
 */
async function privacyReport(
  ctx: Context,
  input: { accountIds: readonly string[]; wholeInstallation: boolean },
): Promise<PrivacyReportDto> {
  const functionsByAccount: AccountFunctionDto[][] = [];
  const accounts: PrivacyReportAccountDto[] = [];
  for (const accountId of input.accountIds) {
    const account = await findAccount(ctx.database.db, accountId);
    if (!account) throw new AppError('not_found', `No account with id ${accountId}`);
    const functions = await listAccountFunctions(ctx, { by: { kind: 'cli', accountId } });
    functionsByAccount.push(functions);
    accounts.push({
      accountId,
      name: account.name,
      lines: [
        processorsLine(functions),
        await retentionLine(ctx, { accountId, retentionMonths: account.retention_months }),
        await visitorIpLine(ctx, { accountId }),
        await egressLine(ctx, { accountId }),
      ],
      subProcessors: subProcessorsOf(functions),
    });
  }
  const installation = [
    ...storeLines(ctx),
    await dataRegionLine(ctx),
    functionsLine({ ctx, functionsByAccount, wholeInstallation: input.wholeInstallation }),
    await backupLine(ctx),
    await masterKeyLine(ctx),
    await dataMapLine(ctx),
  ];
  const lines = [...installation, ...accounts.flatMap((account) => account.lines)];
  return {
    generatedAt: ctx.clock.now(),
    dataRegion: ctx.config.dataRegion,
    holds: lines.every((line) => line.holds),
    installation,
    accounts,
  };
}
