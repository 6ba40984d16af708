import { sql, type Selectable } from 'kysely';
import type { DialectName } from './database.js';
import type { Executor, JobsTable } from './schema.js';

/** A `jobs` row as selected. */
export type JobRow = Selectable<JobsTable>;

/** A job to insert: queued, due at `runAt`. */
export interface NewJob {
  id: string;
  name: string;
  payload: string;
  accountId: string | null;
  runAt: number;
  now: number;
  total?: number | null;
  unit: string;
  /** Set for a scheduled run: a second insert of the same key adds nothing. */
  scheduleKey?: string;
}

/** Inserts a job; with a schedule key already taken, inserts nothing and answers false. */
export async function insertJob(db: Executor, job: NewJob): Promise<boolean> {
  const result = await db
    .insertInto('jobs')
    .values({
      id: job.id,
      name: job.name,
      payload: job.payload,
      status: 'queued',
      run_at: job.runAt,
      attempts: 0,
      created_at: job.now,
      account_id: job.accountId,
      progress_total: job.total ?? null,
      progress_unit: job.unit,
      schedule_key: job.scheduleKey ?? null,
    })
    .onConflict((oc) => oc.column('schedule_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Claims one due job for a node: a queued one whose time has come, or a running one whose holder's
 * lease ran out (its node died). `jobId` claims that job only. The claim is one statement, so of two
 * nodes claiming at once one gets the job; PostgreSQL skips rows another claim holds locked.
 */
export async function claimJob(
  db: Executor,
  input: {
    dialect: DialectName;
    names: readonly string[];
    nodeId: string;
    now: number;
    leaseMs: number;
    jobId?: string;
  },
): Promise<JobRow | undefined> {
  if (input.names.length === 0) return undefined;
  let due = db
    .selectFrom('jobs')
    .select('id')
    .where('name', 'in', input.names)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', input.now)]),
        eb.and([eb('status', '=', 'running'), eb('locked_until', '<', input.now)]),
      ]),
    )
    .orderBy('run_at')
    .limit(1);
  if (input.jobId !== undefined) due = due.where('id', '=', input.jobId);
  // Dialect branch: SQLite has one writer at a time and no row locks; PostgreSQL's claimers would
  // otherwise queue behind each other's row lock.
  const subquery = input.dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
  return db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      locked_by: input.nodeId,
      locked_until: input.now + input.leaseMs,
      attempts: eb('attempts', '+', 1),
      started_at: eb.fn.coalesce('started_at', sql<number>`${input.now}`),
    }))
    .where('id', '=', (eb) => eb.selectFrom(subquery.as('due')).select('due.id'))
    .returningAll()
    .executeTakeFirst();
}

/**
 * Saves a run's progress and renews its lease, if the node still holds the job. Answers whether it
 * does and whether a cancel was asked for.
 */
export async function saveProgress(
  db: Executor,
  input: {
    id: string;
    nodeId: string;
    done: number;
    total: number | null | undefined;
    cursor: string | undefined;
    lockedUntil: number;
  },
): Promise<{ held: boolean; cancelRequested: boolean }> {
  const row = await db
    .updateTable('jobs')
    .set({
      progress_done: input.done,
      ...(input.total === undefined ? {} : { progress_total: input.total }),
      ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
      locked_until: input.lockedUntil,
    })
    .where('id', '=', input.id)
    .where('status', '=', 'running')
    .where('locked_by', '=', input.nodeId)
    .returning('cancel_requested_at')
    .executeTakeFirst();
  return { held: row !== undefined, cancelRequested: row?.cancel_requested_at != null };
}

/** Ends a run held by `nodeId`: done, failed, cancelled, or queued again (a retry, or a shutdown). */
export async function endRun(
  db: Executor,
  input: {
    id: string;
    nodeId: string;
    status: 'done' | 'failed' | 'cancelled' | 'queued';
    now: number;
    runAt?: number;
    result?: string;
    lastError?: string | null;
    /** A shutdown gives the attempt back: the run did not fail. */
    refundAttempt?: boolean;
  },
): Promise<void> {
  const finished = input.status !== 'queued';
  await db
    .updateTable('jobs')
    .set((eb) => ({
      status: input.status,
      locked_by: null,
      locked_until: null,
      finished_at: finished ? input.now : null,
      ...(input.runAt === undefined ? {} : { run_at: input.runAt }),
      ...(input.result === undefined ? {} : { result: input.result }),
      ...(input.lastError === undefined ? {} : { last_error: input.lastError }),
      ...(input.refundAttempt ? { attempts: eb('attempts', '-', 1) } : {}),
    }))
    .where('id', '=', input.id)
    .where('locked_by', '=', input.nodeId)
    .execute();
}

/**
 * Asks a job to stop: a queued one is cancelled at once, a running one is marked and stops at its next
 * batch. Answers the row after the change (`changed`), or the unchanged row of a job that was finished
 * or stopping already, or undefined for no such job (of that account).
 */
export async function requestCancel(
  db: Executor,
  input: { id: string; accountId: string | null; now: number },
): Promise<{ row: JobRow; changed: boolean } | undefined> {
  let queued = db
    .updateTable('jobs')
    .set({ status: 'cancelled', cancel_requested_at: input.now, finished_at: input.now })
    .where('id', '=', input.id)
    .where('status', '=', 'queued');
  let running = db
    .updateTable('jobs')
    .set({ cancel_requested_at: input.now })
    .where('id', '=', input.id)
    .where('status', '=', 'running')
    .where('cancel_requested_at', 'is', null);
  if (input.accountId !== null) {
    queued = queued.where('account_id', '=', input.accountId);
    running = running.where('account_id', '=', input.accountId);
  }
  const changed = (await queued.returningAll().executeTakeFirst()) ?? (await running.returningAll().executeTakeFirst());
  if (changed) return { row: changed, changed: true };
  const row = await findJob(db, input);
  return row && { row, changed: false };
}

/** A job by id; with an account id, only that account's job. */
export function findJob(db: Executor, where: { id: string; accountId: string | null }): Promise<JobRow | undefined> {
  let query = db.selectFrom('jobs').selectAll().where('id', '=', where.id);
  if (where.accountId !== null) query = query.where('account_id', '=', where.accountId);
  return query.executeTakeFirst();
}

/** Jobs newest first: an account's, or with `accountId` null every job of the installation. */
export function listJobs(
  db: Executor,
  where: { accountId: string | null; limit: number; status?: JobRow['status'] },
): Promise<JobRow[]> {
  let query = db.selectFrom('jobs').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(where.limit);
  if (where.accountId !== null) query = query.where('account_id', '=', where.accountId);
  if (where.status !== undefined) query = query.where('status', '=', where.status);
  return query.execute();
}

/** Deletes finished jobs that ended before `before`, at most `limit` of them; answers how many. */
export async function deleteFinishedJobs(db: Executor, input: { before: number; limit: number }): Promise<number> {
  const ids = db
    .selectFrom('jobs')
    .select('id')
    .where('status', 'in', ['done', 'failed', 'cancelled'])
    .where('finished_at', '<', input.before)
    .limit(input.limit);
  const result = await db
    .deleteFrom('jobs')
    .where('id', 'in', (eb) => eb.selectFrom(ids.as('old')).select('old.id'))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
