import type { JobDto } from '@plauder/protocol';
import { Option, type Command } from 'commander';
import { cancelJob } from '../../domain/jobs/cancel-job.js';
import { AppError } from '../../domain/errors.js';
import { jobDto } from '../../jobs/job-dto.js';
import { runJobsNow } from '../../jobs/worker.js';
import { findJob, listJobs } from '../../storage/jobs-repository.js';
import { jsonOption, withContext } from '../command-context.js';
import { createOutput } from '../output.js';

const statuses = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;

/** One line per job for people: id, status, name, progress, when it was created. */
function jobLine(job: JobDto): string {
  const progress = job.total === null ? `${job.done}` : `${job.done}/${job.total}`;
  return [
    job.id,
    job.status.padEnd(9),
    job.name.padEnd(22),
    `${progress} ${job.unit ?? ''}`.padEnd(24),
    new Date(job.createdAt).toISOString(),
  ].join('  ');
}

/** `plauder jobs list|show|cancel|run`: the installation's job queue. */
export function registerJobCommands(cli: Command): void {
  const jobs = cli.command('jobs').description('the job queue: sweeps, bulk deletes, purges');
  jobs
    .command('list')
    .description('the newest jobs, with status and progress')
    .option('--account <id>', "only this account's jobs")
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(statuses))
    .option('--limit <n>', 'how many, 1 to 1000', '50')
    .addOption(jsonOption())
    .action(async (options: { account?: string; status?: JobDto['status']; limit: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new AppError(
          'validation_failed',
          `--limit must be a whole number from 1 to 1000 (got "${options.limit}")`,
        );
      }
      const rows = await withContext((ctx) =>
        listJobs(ctx.database.db, {
          accountId: options.account ?? null,
          limit,
          ...(options.status ? { status: options.status } : {}),
        }),
      );
      const out = createOutput(Boolean(options.json));
      const list = rows.map(jobDto);
      if (options.json) return out.result({ jobs: list });
      for (const job of list) out.say(jobLine(job));
      if (list.length === 0) out.say('No jobs.');
    });
  jobs
    .command('show')
    .description('one job: progress, attempts, last error, and its counts once finished')
    .argument('<id>', 'the job id')
    .addOption(jsonOption())
    .action(async (id: string, options: { json?: boolean }) => {
      const row = await withContext((ctx) => findJob(ctx.database.db, { id, accountId: null }));
      if (!row) throw new AppError('not_found', `No job with id ${id}`);
      const { result, ...job } = jobDto(row);
      createOutput(Boolean(options.json)).result(
        options.json ? { ...job, result } : { ...job, result: result === null ? '' : JSON.stringify(result) },
      );
    });
  jobs
    .command('cancel')
    .description('cancel a job: a queued one at once, a running one after its current batch')
    .argument('<id>', 'the job id')
    .addOption(jsonOption())
    .action(async (id: string, options: { json?: boolean }) => {
      const job = await withContext((ctx) => cancelJob(ctx, { by: null, jobId: id }));
      createOutput(Boolean(options.json)).result({ id: job.id, status: job.status, cancelRequested: true });
    });
  jobs
    .command('run')
    .description('run every due job (scheduled sweeps included) in this process, then exit')
    .addOption(jsonOption())
    .action(async (options: { json?: boolean }) => {
      const ran = await withContext((ctx) => runJobsNow(ctx));
      createOutput(Boolean(options.json)).result({ ran });
    });
}
