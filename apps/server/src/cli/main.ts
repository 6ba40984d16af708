import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Command, Option } from 'commander';
import { NoBackupError } from '../backup/backups.js';
import { BackupArtifactError } from '../backup/errors.js';
import { BackupContentError } from '../backup/frames.js';
import { BackupVersionError, RestoreTargetNotEmptyError } from '../backup/restore-snapshot.js';
import { BackupTargetError } from '../backup/targets.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { KeyDestroyedError, MasterKeyMismatchError } from '../crypto/errors.js';
import {
  MasterKeyFileError,
  promoteNextMasterKey,
  writeNextMasterKey,
  discardNextMasterKey,
} from '../crypto/master-key.js';
import { createAccount } from '../domain/accounts/create-account.js';
import { AppError } from '../domain/errors.js';
import { rotateMasterKey } from '../domain/keys/rotate-master-key.js';
import { createOperator } from '../domain/operators/create-operator.js';
import { REINDEX_BATCH_SIZE, reindexSearch } from '../domain/search/reindex-search.js';
import { exportWidgetFiles } from '../domain/widgets/export-widget-files.js';
import { listAccounts } from '../storage/accounts-repository.js';
import { migrateToLatest, openDatabase } from '../storage/database.js';
import { registerExportCommand } from './commands/export.js';
import { registerDeleteCommand } from './commands/delete.js';
import { addAccountLifecycleCommands } from './commands/account-lifecycle.js';
import { jsonOption as jsonOptionOf, withContext } from './command-context.js';
import { registerJobCommands } from './commands/jobs.js';
import { registerReportCommands } from './commands/reports.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerPlanCommands } from './commands/plans.js';
import { registerPrivacyCommands } from './commands/privacy.js';
import { createOutput } from './output.js';
import { serve } from './serve.js';

const jsonOption = jsonOptionOf();

function generatedPassword(): string {
  return randomBytes(12).toString('base64url');
}

/** Builds the `plauder` command line. */
export function program(): Command {
  const cli = new Command('plauder')
    .description('Self-hosted live chat with data protection you can check')
    .showHelpAfterError();

  cli
    .command('serve')
    .description('run every role (HTTP, real-time, jobs) in this process')
    .action(async () => serve(loadConfig()));

  cli
    .command('migrate')
    .description('apply pending database migrations')
    .addOption(jsonOption)
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const applied = await migrateToLatest(database);
        createOutput(Boolean(options.json)).result({
          applied: options.json ? applied : applied.join(', ') || 'none (up to date)',
        });
      } finally {
        await database.close();
      }
    });

  const account = cli.command('account').description('manage accounts (tenants)');
  account
    .command('create')
    .description('create an account with its owner and a first widget')
    .requiredOption('--name <name>', 'the account name')
    .option('--plan <plan>', 'the plan', 'standard')
    .requiredOption('--owner-email <email>', "the owner's login email")
    .option('--owner-name <name>', "the owner's display name", 'Owner')
    .option('--retention-months <n>', 'transcript retention window, 1 to 36 months', '12')
    .addOption(jsonOption)
    .action(
      async (options: {
        name: string;
        plan: string;
        ownerEmail: string;
        ownerName: string;
        retentionMonths: string;
        json?: boolean;
      }) => {
        const out = createOutput(Boolean(options.json));
        const password = generatedPassword();
        const created = await withContext((ctx) =>
          createAccount(ctx, {
            name: options.name,
            plan: options.plan,
            retentionMonths: Number(options.retentionMonths),
            owner: { email: options.ownerEmail, displayName: options.ownerName, password },
            actor: { kind: 'cli', id: null },
          }),
        );
        out.result({
          accountId: created.accountId,
          ownerId: created.owner.id,
          ownerEmail: created.owner.email,
          ownerPassword: password,
          widgetPublicKey: created.widget.publicKey,
        });
        out.say('The owner password is shown only this once; the owner should change it after the first login.');
      },
    );
  account
    .command('list')
    .description('list the accounts of this installation')
    .addOption(jsonOption)
    .action(async (options: { json?: boolean }) => {
      const accounts = await withContext((ctx) => listAccounts(ctx.database.db));
      const out = createOutput(Boolean(options.json));
      if (options.json) {
        out.result({ accounts: accounts.map((a) => ({ id: a.id, name: a.name, plan: a.plan, status: a.status })) });
        return;
      }
      for (const a of accounts) out.say(`${a.id}  ${a.status.padEnd(10)}  ${a.plan.padEnd(10)}  ${a.name}`);
      if (accounts.length === 0) out.say('No accounts yet: plauder account create --name … --owner-email …');
    });

  const operator = cli.command('operator').description('manage operators');
  operator
    .command('create')
    .description('add an operator to an account; prints a generated password once')
    .requiredOption('--account <id>', 'the account id')
    .requiredOption('--email <email>', 'the login email')
    .option('--name <name>', 'the display name', 'Operator')
    .addOption(new Option('--role <role>', 'the role').choices(['owner', 'admin', 'operator']).default('operator'))
    .addOption(jsonOption)
    .action(
      async (options: {
        account: string;
        email: string;
        name: string;
        role: 'owner' | 'admin' | 'operator';
        json?: boolean;
      }) => {
        const password = generatedPassword();
        const created = await withContext((ctx) =>
          createOperator(ctx, {
            by: { kind: 'cli', accountId: options.account },
            email: options.email,
            displayName: options.name,
            password,
            role: options.role,
          }),
        );
        createOutput(Boolean(options.json)).result({
          operatorId: created.id,
          email: created.email,
          role: created.role,
          password,
        });
      },
    );

  const cdn = cli.command('cdn').description("the widget's static files, for a CDN or any static host");
  cdn
    .command('export')
    .description("write the loader, the window's bundles and every widget's config under DIR, as served")
    .argument('<dir>', 'the directory to write to (created if missing)')
    .addOption(jsonOption)
    .action(async (dir: string, options: { json?: boolean }) => {
      const out = createOutput(Boolean(options.json));
      const exported = await withContext((ctx) => exportWidgetFiles(ctx, dir));
      out.result({ dir: path.resolve(dir), ...exported });
      out.say('Serve the directory as it is; docs/WIDGET.md lists the cache headers each file wants.');
    });

  const search = cli.command('search').description('the search index of the transcripts');
  search
    .command('reindex')
    .description('write the missing search tokens of stored messages (safe to run again, and while serving)')
    .option('--account <id>', 'only this account (default: every account)')
    .option('--batch-size <n>', 'messages per transaction, 1 to 5000', String(REINDEX_BATCH_SIZE))
    .addOption(jsonOption)
    .action(async (options: { account?: string; batchSize: string; json?: boolean }) => {
      const out = createOutput(Boolean(options.json));
      const batchSize = Number(options.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) {
        throw new AppError(
          'validation_failed',
          `--batch-size must be a whole number from 1 to 5000 (got "${options.batchSize}")`,
        );
      }
      const counts = await withContext((ctx) =>
        reindexSearch(ctx, {
          batchSize,
          ...(options.account === undefined ? {} : { accountId: options.account }),
          onAccount: (accountId, c) =>
            out.say(`${accountId}: ${c.messages} messages, ${c.indexed} indexed now, ${c.alreadyIndexed} already`),
        }),
      );
      out.result({ ...counts });
    });

  const keys = cli.command('keys').description('manage the master key');
  keys
    .command('rotate')
    .description('rewrap the keyring under a new master key (data is not touched); stop other nodes first')
    .addOption(jsonOption)
    .action(async (options: { json?: boolean }) => {
      const out = createOutput(Boolean(options.json));
      const newKey = randomBytes(32);
      const result = await withContext(async (ctx, config) => {
        const keyFile = config.masterKey === undefined;
        // The new key is on disk (0600) before the keyring is rewrapped under it: no crash can lose it.
        const nextFile = writeNextMasterKey(config.dataDir, newKey);
        try {
          const rotated = await rotateMasterKey(ctx, { newMasterKey: newKey });
          if (keyFile) promoteNextMasterKey(config.dataDir);
          return { ...rotated, keyFile, nextFile };
        } catch (error) {
          discardNextMasterKey(config.dataDir);
          throw error;
        }
      });
      out.result({
        oldKeyId: result.oldKeyId,
        newKeyId: result.newKeyId,
        rewrapped: result.rewrapped,
        ...(result.keyFile ? {} : { newMasterKeyFile: result.nextFile }),
      });
      out.say(
        result.keyFile
          ? 'The key file in DATA_DIR now holds the new key; back it up apart from the data.'
          : `The new key is in ${result.nextFile} (mode 0600). Set PLAUDER_MASTER_KEY to its content on every node, restart them, then delete the file; the old key no longer opens the keyring.`,
      );
    });

  registerJobCommands(cli);
  registerReportCommands(cli);
  registerPrivacyCommands(cli);
  registerBackupCommands(cli);
  registerExportCommand(cli);

  addAccountLifecycleCommands(account);
  registerPlanCommands(cli, account);
  registerDeleteCommand(cli);
  return cli;
}

/** The errors of backups and restores that explain themselves: a damaged backup, a full target… */
function isBackupError(error: unknown): boolean {
  return (
    error instanceof BackupArtifactError ||
    error instanceof BackupTargetError ||
    error instanceof BackupContentError ||
    error instanceof NoBackupError ||
    error instanceof RestoreTargetNotEmptyError ||
    error instanceof BackupVersionError
  );
}

/** Runs the CLI; known errors print one clear message and exit with status 2. */
export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    const known =
      error instanceof ConfigError ||
      error instanceof MasterKeyMismatchError ||
      error instanceof MasterKeyFileError ||
      error instanceof AppError ||
      error instanceof KeyDestroyedError ||
      isBackupError(error);
    process.stderr.write(`plauder: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!known && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = known ? 2 : 1;
  }
}
