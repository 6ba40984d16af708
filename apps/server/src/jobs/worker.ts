import { randomUUID } from 'node:crypto';
import type { JobDto } from '@plauder/protocol';
import type { Context } from '../context.js';
import { AppError } from '../domain/errors.js';
import {
  claimJob,
  endRun,
  findJob,
  insertJob,
  renewLease,
  saveProgress,
  type JobRow,
} from '../storage/jobs-repository.js';
import {
  JobStoppedError,
  scheduleOf,
  type JobDefinition,
  type JobProgress,
  type JobRun,
  type JobSummary,
} from './job.js';
import { jobDto } from './job-dto.js';
import { jobDefinitions } from './registry.js';
import { assertValidSchedule, latestSlot } from './schedule.js';

/** How long a node holds a job without renewing its lease before another node may take it over. */
export const JOB_LEASE_MS = 60_000;
/** A running job's lease is renewed this often, so two renewals may fail before another node takes over. */
const LEASE_RENEW_INTERVAL_MS = JOB_LEASE_MS / 3;
/** The first retry waits this long; each further one twice as long, up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 60 * 60_000;
const DEFAULT_MAX_ATTEMPTS = 5;

/** Any job definition: the worker hands each only the payload its own schema parsed. */
type AnyJob = JobDefinition<unknown>;

/** Options of a worker. */
export interface WorkerOptions {
  definitions?: readonly JobDefinition<unknown>[];
  /** This node's name in `locked_by`; default the context's node id. */
  nodeId?: string;
  pollIntervalMs?: number;
  /** Jobs run at once; on-demand jobs take at most all but one, so scheduled sweeps always find a slot. */
  concurrency?: number;
  /** How often a running job's lease is renewed; default a third of JOB_LEASE_MS. Tests shorten it. */
  leaseRenewIntervalMs?: number;
  onProgress?: (job: JobRow, progress: JobProgress) => void;
}

/**
 * Runs jobs on one node: every poll it enqueues the due slot of each scheduled job (once across the
 * cluster: the slot is a unique key) and claims due jobs, up to `concurrency` at a time. While a job
 * runs, its lease is renewed on a timer; a node that dies leaves its jobs held until their lease runs
 * out, then any node resumes them, as long as attempts are left.
 */
export class Worker {
  private readonly definitions: Map<string, AnyJob>;
  private readonly nodeId: string;
  private readonly running = new Set<Promise<void>>();
  private runningOnDemand = 0;
  private readonly enqueuedSlots = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly ctx: Context,
    private readonly options: WorkerOptions = {},
  ) {
    const definitions = options.definitions ?? jobDefinitions;
    for (const d of definitions) {
      const schedule = scheduleOf(d, ctx.config);
      if (schedule) assertValidSchedule(d.name, schedule);
    }
    this.definitions = new Map(definitions.map((d) => [d.name, d]));
    this.nodeId = options.nodeId ?? ctx.nodeId;
  }

  /** Starts polling; the first poll happens at once. */
  start(): void {
    const interval = this.options.pollIntervalMs ?? this.ctx.config.jobsPollIntervalMs;
    const tick = () => {
      this.polling ??= this.poll()
        .then(() => undefined)
        .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'Job poll failed'))
        .finally(() => {
          this.polling = undefined;
        });
    };
    this.timer = setInterval(tick, interval);
    this.timer.unref();
    tick();
  }

  /** Stops claiming; running jobs stop at their next progress and are left queued for the next node. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    await Promise.allSettled([...this.running]);
  }

  /** Enqueues due scheduled slots and starts due jobs while there is room; answers how many started. */
  async poll(): Promise<number> {
    await this.enqueueScheduled();
    const limit = this.options.concurrency ?? this.ctx.config.jobsConcurrency;
    // Long bulk deletes must not hold every slot: purge-ip-addresses has to run every 15 minutes (P3).
    const onDemandLimit = limit > 1 ? limit - 1 : limit;
    let started = 0;
    while (!this.stopping && this.running.size < limit) {
      const row = await this.claim({ scheduledOnly: this.runningOnDemand >= onDemandLimit });
      if (!row) break;
      const onDemand = row.schedule_key === null;
      if (onDemand) this.runningOnDemand += 1;
      const run: Promise<void> = this.execute(row).finally(() => {
        this.running.delete(run);
        if (onDemand) this.runningOnDemand -= 1;
      });
      this.running.add(run);
      started += 1;
    }
    return started;
  }

  /** Runs every due job, one after the other, until none is left; for tests and one-off commands. */
  async drain(): Promise<number> {
    await this.enqueueScheduled();
    let ran = 0;
    while (!this.stopping) {
      const row = await this.claim({});
      if (!row) break;
      await this.execute(row);
      ran += 1;
    }
    return ran;
  }

  /** Claims one job by id and runs it here; refuses one another node is running. */
  async runOne(jobId: string): Promise<JobDto> {
    const row = await this.claim({ jobId });
    if (!row) {
      const current = await findJob(this.ctx.database.db, { id: jobId, accountId: null });
      if (!current) throw new AppError('not_found', `No job with id ${jobId}; plauder jobs list shows them`);
      if (current.status === 'running') {
        throw new AppError(
          'conflict',
          `The job ${jobId} is running on another node (${current.locked_by ?? 'unknown'}); follow it with: plauder jobs show ${jobId}`,
        );
      }
      return jobDto(current);
    }
    await this.execute(row);
    const after = await findJob(this.ctx.database.db, { id: jobId, accountId: null });
    if (!after) throw new AppError('not_found', `The job ${jobId} was deleted while it ran here`);
    return jobDto(after);
  }

  private claim(input: { jobId?: string; scheduledOnly?: boolean }): Promise<JobRow | undefined> {
    return claimJob(this.ctx.database.db, {
      dialect: this.ctx.database.dialect,
      names: [...this.definitions.keys()],
      nodeId: this.nodeId,
      now: this.ctx.clock.now(),
      leaseMs: JOB_LEASE_MS,
      ...(input.jobId === undefined ? {} : { jobId: input.jobId }),
      ...(input.scheduledOnly ? { scheduledOnly: true } : {}),
    });
  }

  private async enqueueScheduled(): Promise<void> {
    const now = this.ctx.clock.now();
    for (const definition of this.definitions.values()) {
      const schedule = scheduleOf(definition, this.ctx.config);
      if (!schedule) continue;
      const slot = latestSlot(schedule, now);
      if (slot === undefined || this.enqueuedSlots.get(definition.name) === slot) continue;
      await insertJob(this.ctx.database.db, {
        id: randomUUID(),
        name: definition.name,
        payload: '{}',
        accountId: null,
        runAt: slot,
        now,
        unit: definition.unit,
        scheduleKey: `${definition.name}@${new Date(slot).toISOString()}`,
      });
      this.enqueuedSlots.set(definition.name, slot);
    }
  }

  private async execute(row: JobRow): Promise<void> {
    const { ctx } = this;
    const definition = this.definitions.get(row.name);
    const startedAt = Date.now();
    const log = { job: row.name, jobId: row.id };
    const end = (input: Omit<Parameters<typeof endRun>[1], 'id' | 'nodeId' | 'now'>) =>
      endRun(ctx.database.db, { id: row.id, nodeId: this.nodeId, now: ctx.clock.now(), ...input });
    if (!definition) return;
    const maxAttempts = definition.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    // A claim never starts a batch of a job someone cancelled: the cancel came while it waited for a
    // retry, or while the node that ran it died. The claim did not start a run, so it spends no attempt.
    if (row.cancel_requested_at !== null) {
      await end({ status: 'cancelled', refundAttempt: true });
      ctx.logger.info(log, 'Job cancelled before its next run');
      return;
    }
    // Only a stale lease gets a job here: a run that fails on its last attempt ends `failed`, so a
    // queued job always has an attempt left. A job that kills its node each time stops here.
    if (row.attempts > maxAttempts) {
      const lastError = `Its node stopped while running it, on the last of ${maxAttempts} attempts; it is not tried again`;
      await end({ status: 'failed', lastError, refundAttempt: true });
      ctx.logger.error({ ...log, attempts: maxAttempts }, 'Job failed for good: its node stopped while running it');
      return;
    }
    let parsed: unknown;
    try {
      parsed = definition.payload.parse(JSON.parse(row.payload));
    } catch (error) {
      ctx.logger.error({ ...log, err: error }, 'Job payload is invalid; the job failed');
      await end({ status: 'failed', lastError: `Invalid payload: ${String(error)}` });
      return;
    }
    const lease = this.holdLease(row);
    const run: JobRun<unknown> = {
      id: row.id,
      accountId: row.account_id,
      payload: parsed,
      createdAt: row.created_at,
      cursor: row.cursor ?? undefined,
      done: row.progress_done,
      holdForSave: () => {
        if (lease.lost) throw new JobStoppedError('shutdown');
        return { id: row.id, nodeId: this.nodeId, lockedUntil: ctx.clock.now() + JOB_LEASE_MS };
      },
      afterSave: (update, saved) => {
        this.options.onProgress?.(row, update);
        if (!saved.held) throw new JobStoppedError('shutdown');
        if (saved.cancelRequested) throw new JobStoppedError('cancelled');
        if (this.stopping) throw new JobStoppedError('shutdown');
      },
      progress: async (update) => {
        const hold = run.holdForSave();
        const saved = await saveProgress(ctx.database.db, {
          ...hold,
          done: update.done,
          total: update.total,
          cursor: update.cursor,
        });
        run.afterSave(update, saved);
      },
    };
    let outcome: { summary: JobSummary } | { error: unknown };
    try {
      outcome = { summary: await definition.run(ctx, run) };
    } catch (error) {
      outcome = { error };
    } finally {
      // No renewal may land after the run ended: it would hold a job nobody runs.
      await lease.release();
    }
    if ('summary' in outcome) {
      await end({ status: 'done', result: JSON.stringify(outcome.summary), lastError: null });
      ctx.logger.info({ ...log, ms: Date.now() - startedAt, ...outcome.summary }, 'Job done');
      return;
    }
    const { error } = outcome;
    if (error instanceof JobStoppedError && error.reason === 'cancelled') {
      await end({ status: 'cancelled' });
      ctx.logger.info({ ...log, ms: Date.now() - startedAt }, 'Job cancelled');
      return;
    }
    if (error instanceof JobStoppedError) {
      // Shutting down or overtaken: whoever holds the job now (or the next poll) resumes it.
      await end({ status: 'queued', runAt: ctx.clock.now(), refundAttempt: true });
      return;
    }
    const lastError = error instanceof Error ? error.message : String(error);
    const current = await findJob(ctx.database.db, { id: row.id, accountId: null });
    if (current?.cancel_requested_at != null) {
      // Cancelled during a run that then failed: a retry would run a batch nobody wants. A cancel that
      // lands after this read is caught at the next claim.
      await end({ status: 'cancelled', lastError });
      ctx.logger.info({ ...log, ms: Date.now() - startedAt, err: error }, 'Job cancelled; its last run failed');
      return;
    }
    const retry = row.attempts < maxAttempts;
    const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** (row.attempts - 1), MAX_BACKOFF_MS);
    await end({
      status: retry ? 'queued' : 'failed',
      lastError,
      ...(retry ? { runAt: ctx.clock.now() + backoff } : {}),
    });
    ctx.logger.error(
      { ...log, attempt: row.attempts, retry, err: error },
      retry ? 'Job run failed; it is retried later' : 'Job failed for good',
    );
  }

  /**
   * Renews this node's lease on a running job every renewal interval, so a run that goes a long while
   * between batches is not taken over by another node. `lost` turns true once the job is no longer
   * held here; the run's next `progress` then stops it.
   */
  private holdLease(row: JobRow): { readonly lost: boolean; release(): Promise<void> } {
    const { ctx } = this;
    let lost = false;
    let renewing: Promise<void> | undefined;
    const timer = setInterval(() => {
      renewing ??= renewLease(ctx.database.db, {
        id: row.id,
        nodeId: this.nodeId,
        lockedUntil: ctx.clock.now() + JOB_LEASE_MS,
      })
        .then((held) => {
          if (!held) lost = true;
        })
        .catch((error: unknown) =>
          ctx.logger.error(
            { job: row.name, jobId: row.id, err: error },
            'Could not renew the lease of a running job; it is tried again, and another node takes the job over if the lease runs out',
          ),
        )
        .finally(() => {
          renewing = undefined;
        });
    }, this.options.leaseRenewIntervalMs ?? LEASE_RENEW_INTERVAL_MS);
    timer.unref();
    return {
      get lost() {
        return lost;
      },
      async release() {
        clearInterval(timer);
        await renewing;
      },
    };
  }
}

/** Enqueues due scheduled slots and runs every due job until none is left (tests, one-off commands). */
export function runJobsNow(
  ctx: Context,
  options: { definitions?: readonly JobDefinition<unknown>[] } = {},
): Promise<number> {
  return new Worker(ctx, options).drain();
}

/** Claims one job by id and runs it in this process (the command line's `--yes`), reporting progress. */
export function runJob(
  ctx: Context,
  input: {
    jobId: string;
    definitions?: readonly JobDefinition<unknown>[];
    onProgress?: (done: number, total: number | null) => void;
  },
): Promise<JobDto> {
  const { onProgress } = input;
  return new Worker(ctx, {
    ...(input.definitions ? { definitions: input.definitions } : {}),
    ...(onProgress
      ? { onProgress: (row: JobRow, p: JobProgress) => onProgress(p.done, p.total ?? row.progress_total) }
      : {}),
  }).runOne(input.jobId);
}
