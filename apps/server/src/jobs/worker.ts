import { randomUUID } from 'node:crypto';
import type { JobDto } from '@plauder/protocol';
import type { Context } from '../context.js';
import { claimJob, endRun, findJob, insertJob, saveProgress, type JobRow } from '../storage/jobs-repository.js';
import { JobStoppedError, type JobDefinition, type JobProgress, type JobRun } from './job.js';
import { jobDto } from './job-dto.js';
import { jobDefinitions } from './registry.js';
import { assertValidSchedule, latestSlot } from './schedule.js';

/** How long a node holds a job without reporting progress before another node may take it over. */
export const JOB_LEASE_MS = 60_000;
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
  concurrency?: number;
  onProgress?: (job: JobRow, progress: JobProgress) => void;
}

/**
 * Runs jobs on one node: every poll it enqueues the due slot of each scheduled job (once across the
 * cluster: the slot is a unique key) and claims due jobs, up to `concurrency` at a time. A node that
 * dies leaves its jobs held until their lease runs out; then any node resumes them.
 */
export class Worker {
  private readonly definitions: Map<string, AnyJob>;
  private readonly nodeId: string;
  private readonly running = new Set<Promise<void>>();
  private readonly enqueuedSlots = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly ctx: Context,
    private readonly options: WorkerOptions = {},
  ) {
    const definitions = options.definitions ?? jobDefinitions;
    for (const d of definitions) if (d.schedule) assertValidSchedule(d.name, d.schedule);
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
    let started = 0;
    while (!this.stopping && this.running.size < limit) {
      const row = await this.claim();
      if (!row) break;
      const run: Promise<void> = this.execute(row).finally(() => this.running.delete(run));
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
      const row = await this.claim();
      if (!row) break;
      await this.execute(row);
      ran += 1;
    }
    return ran;
  }

  /** Claims one job by id and runs it here; refuses one another node is running. */
  async runOne(jobId: string): Promise<JobDto> {
    const row = await this.claim(jobId);
    if (!row) {
      const current = await findJob(this.ctx.database.db, { id: jobId, accountId: null });
      if (!current) throw new Error(`No job with id ${jobId}`);
      if (current.status === 'running') throw new Error(`The job ${jobId} is running on another node`);
      return jobDto(current);
    }
    await this.execute(row);
    const after = await findJob(this.ctx.database.db, { id: jobId, accountId: null });
    if (!after) throw new Error(`The job ${jobId} is gone`);
    return jobDto(after);
  }

  private claim(jobId?: string): Promise<JobRow | undefined> {
    return claimJob(this.ctx.database.db, {
      dialect: this.ctx.database.dialect,
      names: [...this.definitions.keys()],
      nodeId: this.nodeId,
      now: this.ctx.clock.now(),
      leaseMs: JOB_LEASE_MS,
      ...(jobId === undefined ? {} : { jobId }),
    });
  }

  private async enqueueScheduled(): Promise<void> {
    const now = this.ctx.clock.now();
    for (const definition of this.definitions.values()) {
      if (!definition.schedule) continue;
      const slot = latestSlot(definition.schedule, now);
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
    const end = (input: Omit<Parameters<typeof endRun>[1], 'id' | 'nodeId' | 'now'>) =>
      endRun(ctx.database.db, { id: row.id, nodeId: this.nodeId, now: ctx.clock.now(), ...input });
    if (!definition) return;
    let parsed: unknown;
    try {
      parsed = definition.payload.parse(JSON.parse(row.payload));
    } catch (error) {
      ctx.logger.error({ job: row.name, jobId: row.id, err: error }, 'Job payload is invalid; the job failed');
      await end({ status: 'failed', lastError: `Invalid payload: ${String(error)}` });
      return;
    }
    const run: JobRun<unknown> = {
      id: row.id,
      accountId: row.account_id,
      payload: parsed,
      createdAt: row.created_at,
      cursor: row.cursor ?? undefined,
      done: row.progress_done,
      progress: async (update) => {
        const saved = await saveProgress(ctx.database.db, {
          id: row.id,
          nodeId: this.nodeId,
          done: update.done,
          total: update.total,
          cursor: update.cursor,
          lockedUntil: ctx.clock.now() + JOB_LEASE_MS,
        });
        this.options.onProgress?.(row, update);
        if (!saved.held) throw new JobStoppedError('shutdown');
        if (saved.cancelRequested) throw new JobStoppedError('cancelled');
        if (this.stopping) throw new JobStoppedError('shutdown');
      },
    };
    try {
      const summary = await definition.run(ctx, run);
      await end({ status: 'done', result: JSON.stringify(summary), lastError: null });
      ctx.logger.info({ job: row.name, jobId: row.id, ms: Date.now() - startedAt, ...summary }, 'Job done');
    } catch (error) {
      if (error instanceof JobStoppedError && error.reason === 'cancelled') {
        await end({ status: 'cancelled' });
        ctx.logger.info({ job: row.name, jobId: row.id, ms: Date.now() - startedAt }, 'Job cancelled');
      } else if (error instanceof JobStoppedError) {
        // Shutting down or overtaken: whoever holds the job now (or the next poll) resumes it.
        await end({ status: 'queued', runAt: ctx.clock.now(), refundAttempt: true });
      } else {
        const maxAttempts = definition.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
        const retry = row.attempts < maxAttempts;
        const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** (row.attempts - 1), MAX_BACKOFF_MS);
        await end({
          status: retry ? 'queued' : 'failed',
          lastError: error instanceof Error ? error.message : String(error),
          ...(retry ? { runAt: ctx.clock.now() + backoff } : {}),
        });
        ctx.logger.error(
          { job: row.name, jobId: row.id, attempt: row.attempts, retry, err: error },
          retry ? 'Job run failed; it is retried later' : 'Job failed for good',
        );
      }
    }
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
