import { ConversationStatus, DeletionFilter } from '@plauder/protocol';
import { Option, type Command } from 'commander';
import { previewDeletion } from '../../domain/deletions/preview-deletion.js';
import { startDeletion } from '../../domain/deletions/start-deletion.js';
import { AppError } from '../../domain/errors.js';
import { runJob } from '../../jobs/worker.js';
import { findAccount } from '../../storage/accounts-repository.js';
import { jsonOption, withContext } from '../command-context.js';
import { createOutput } from '../output.js';
import { createProgress } from '../progress.js';

interface DeleteOptions {
  account: string;
  after?: string;
  before?: string;
  widget?: string;
  operator?: string;
  status?: ConversationStatus;
  rating?: string;
  contact?: string;
  all?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

/**
 * `plauder delete`: a bulk delete of an account's conversations by filter, as the API's, acting as the
 * command line. `--dry-run` counts what the filter matches; `--yes` starts the delete-conversations job
 * and runs it in this process with a progress bar, then prints what it erased. A killed run is resumed
 * by any worker (`plauder serve`, `plauder jobs run`).
 */
export function registerDeleteCommand(cli: Command): void {
  cli
    .command('delete')
    .description("erase an account's conversations by filter, with their messages, files, contacts and keys")
    .requiredOption('--account <id>', 'the account id')
    .option('--after <date>', 'conversations created at or after this ISO date or date-time (UTC unless it says)')
    .option('--before <date>', 'conversations created before this ISO date or date-time (UTC unless it says)')
    .option('--widget <id>', "only this widget's conversations")
    .option('--operator <id>', 'only conversations assigned to this operator')
    .addOption(new Option('--status <status>', 'only conversations in this status').choices(ConversationStatus.options))
    .option('--rating <n>', 'only conversations rated n (1 to 5)')
    .option('--contact <id>', "only this contact's conversations")
    .option('--all', 'every conversation of the account (alone: it combines with no other filter)')
    .option('--dry-run', 'count what the filter matches, delete nothing')
    .option('--yes', 'delete what the filter matches now')
    .addOption(jsonOption())
    .action(async (options: DeleteOptions) => {
      if (Boolean(options.dryRun) === Boolean(options.yes)) {
        throw new AppError(
          'validation_failed',
          options.dryRun
            ? 'Give either --dry-run or --yes, not both'
            : 'Give --dry-run to count what the filter matches, or --yes to delete it',
        );
      }
      const filter = filterOf(options);
      const json = Boolean(options.json);
      const out = createOutput(json);
      await withContext(async (ctx) => {
        if (!(await findAccount(ctx.database.db, options.account))) {
          throw new AppError('not_found', `No account with id ${options.account}; plauder account list shows them`);
        }
        const by = { kind: 'cli' as const, accountId: options.account };
        if (options.dryRun) {
          out.result({ ...(await previewDeletion(ctx, { by, filter })) });
          return;
        }
        const started = await startDeletion(ctx, { by, filter });
        out.say(`Started job ${started.id}: ${started.total ?? 0} conversations to erase.`);
        const progress = createProgress({ label: 'Erasing', unit: 'conversations', json });
        const finished = await runJob(ctx, {
          jobId: started.id,
          onProgress: (done, total) => progress.update(done, total),
        }).finally(() => progress.finish());
        out.result({
          jobId: finished.id,
          status: finished.status,
          ...(finished.result ?? {}),
          ...(finished.lastError === null ? {} : { lastError: finished.lastError }),
        });
        if (finished.status !== 'done') {
          // Queued again after a failed run, or cancelled meanwhile: a worker resumes it where it stopped.
          process.exitCode = 1;
          out.say(`The job did not finish; follow it with: plauder jobs show ${finished.id}`);
        }
      });
    });
}

/** The filter the options give, checked as the API checks a request body. */
function filterOf(options: DeleteOptions): DeletionFilter {
  const criteria = [options.after, options.before, options.widget, options.operator, options.status, options.rating];
  if (!options.all && options.contact === undefined && criteria.every((criterion) => criterion === undefined)) {
    throw new AppError(
      'validation_failed',
      'The filter has no criterion; give one (--after, --before, --widget, --operator, --status, --rating, --contact), or --all to delete every conversation of the account',
    );
  }
  const parsed = DeletionFilter.safeParse({
    createdFrom: options.after === undefined ? undefined : instantOf(options.after, '--after'),
    createdTo: options.before === undefined ? undefined : instantOf(options.before, '--before'),
    widgetId: options.widget,
    operatorId: options.operator,
    status: options.status,
    rating: options.rating === undefined ? undefined : Number(options.rating),
    contactId: options.contact,
    all: options.all ? true : undefined,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${flagOf(String(issue.path[0]))} ${issue.message}`);
    throw new AppError('validation_failed', `Invalid filter: ${problems.join('; ')}`);
  }
  return parsed.data;
}

const flags: Record<string, string> = {
  createdFrom: '--after',
  createdTo: '--before',
  widgetId: '--widget',
  operatorId: '--operator',
  rating: '--rating',
  contactId: '--contact',
};

function flagOf(field: string): string {
  return flags[field] ?? `--${field}`;
}

/**
 * An ISO date (`2026-01-31`, midnight UTC) or date-time (`2026-01-31T10:00`, UTC unless it names a
 * zone) as epoch milliseconds.
 */
export function instantOf(text: string, flag: string): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text);
  const at = iso ? Date.parse(dateOnly ? `${text}T00:00:00Z` : hasZone ? text : `${text}Z`) : Number.NaN;
  if (!Number.isFinite(at)) {
    throw new AppError(
      'validation_failed',
      `${flag} must be an ISO date (2026-01-31) or date-time (2026-01-31T10:00:00Z); got "${text}"`,
    );
  }
  return at;
}
