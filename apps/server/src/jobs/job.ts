import type { z } from 'zod';
import type { Config } from '../config/config.js';
import type { Context } from '../context.js';
import type { JobHold } from '../storage/jobs-repository.js';

/** What a run reports as it goes: items done (in all, carried over a resume), the total when known. */
export interface JobProgress {
  done: number;
  total?: number | null;
  /** Where a killed run would resume: the job's own JSON text (ids and times, never content). */
  cursor?: string;
}

/** One run of a job, as its `run` sees it. */
export interface JobRun<P> {
  readonly id: string;
  /** The account the job works for; null for installation-wide jobs. */
  readonly accountId: string | null;
  readonly payload: P;
  /** When the job was enqueued: a bulk delete touches nothing created after it. */
  readonly createdAt: number;
  /** The position an earlier, killed run saved with `progress`; undefined on a first run. */
  readonly cursor: string | undefined;
  /** Items an earlier, killed run had done already (0 on a first run). */
  readonly done: number;
  /**
   * Saves progress and the resume position. Call it after each committed batch. Throws JobStoppedError
   * when a cancel was asked for, the node is shutting down, or another node took the job over: let it
   * propagate (the worker records the cancel, or leaves the job to whoever holds it). The worker renews
   * this node's hold on the job on a timer meanwhile, so a slow batch is not taken over.
   */
  progress(update: JobProgress): Promise<void>;
  /**
   * `progress` in two halves, for a run that saves its progress in its batch's own transaction
   * (saveProgress), so that the position it saves always matches what it did: the hold to save under,
   * taken just before the batch (JobStoppedError once the node lost its lease), and what follows the
   * save, given the save's answer (JobStoppedError as progress throws it).
   */
  holdForSave(): JobHold;
  afterSave(update: JobProgress, saved: { held: boolean; cancelRequested: boolean }): void;
}

/** What a finished run reports: counts and short ids, never content. One summary log line shows it. */
export type JobSummary = Record<string, number | string>;

/**
 * A kind of job: its name (`verb-noun`), the schema of its payload (parsed at every claim), an optional
 * schedule, and an idempotent `run` that works in bounded batches and can be killed at any point and
 * resumed (STYLE rule 6).
 */
export interface JobDefinition<P = unknown> {
  readonly name: string;
  readonly payload: z.ZodType<P>;
  /**
   * A cron pattern in UTC (croner), or one the configuration sets (undefined: not scheduled); each slot
   * is enqueued once across all nodes.
   */
  readonly schedule?: string | ((config: Config) => string | undefined);
  /** What `done` counts, for progress displays: "conversations", "accounts", … */
  readonly unit: string;
  /** Runs before the job counts as failed; failed runs are retried with backoff. Default 5. */
  readonly maxAttempts?: number;
  /** False for a job that must finish once started (cancelJob refuses it). Default true. */
  readonly cancellable?: boolean;
  run(ctx: Context, job: JobRun<P>): Promise<JobSummary>;
}

/** A job's cron pattern under `config`, if it is scheduled. */
export function scheduleOf(definition: Pick<JobDefinition, 'schedule'>, config: Config): string | undefined {
  return typeof definition.schedule === 'function' ? definition.schedule(config) : definition.schedule;
}

/** Declares a job; only there for the type inference of `P`. */
export function defineJob<P>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}

/** Thrown by `progress` to end a run early: a cancel was asked for, or the worker is stopping. */
export class JobStoppedError extends Error {
  constructor(readonly reason: 'cancelled' | 'shutdown') {
    super(reason === 'cancelled' ? 'The job was cancelled' : 'The worker is shutting down');
    this.name = 'JobStoppedError';
  }
}
