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
 * lease ran out (its node died). Scheduled runs (with a schedule key) come before on-demand jobs, so
 * the sweeps the privacy promises need never wait behind a queue of bulk deletes; `scheduledOnly`
 * claims those only. A scheduled run is not claimed while another job of its name runs with a live
 * lease: two slots of one sweep never run at once. `jobId` claims that job only.
 */
export async function claimJob(
  db: Executor,
  input: {
    dialect: DialectName;
    names: readonly string[];
    nodeId: string;
    now: number;
    leaseMs: number;
    scheduledOnly?: boolean;
    jobId?: string;
  },
): Promise<JobRow | undefined> {
  if (input.names.length === 0) return undefined;
  // The oldest run due of the names asked for.
  const dueOf = (trx: Executor) => {
    let due = trx
      .selectFrom('jobs as candidate')
      .select('candidate.id')
      .where('candidate.name', 'in', input.names)
      .where((eb) =>
        eb.or([
          eb.and([eb('candidate.status', '=', 'queued'), eb('candidate.run_at', '<=', input.now)]),
          eb.and([eb('candidate.status', '=', 'running'), eb('candidate.locked_until', '<', input.now)]),
        ]),
      )
      .where((eb) =>
        eb.or([
          eb('candidate.schedule_key', 'is', null),
          eb.not(
            eb.exists(
              eb
                .selectFrom('jobs as sibling')
                .select('sibling.id')
                .whereRef('sibling.name', '=', 'candidate.name')
                .whereRef('sibling.id', '!=', 'candidate.id')
                .where('sibling.status', '=', 'running')
                .where('sibling.locked_until', '>=', input.now),
            ),
          ),
        ]),
      )
      // Scheduled runs first (false sorts before true), then the longest due.
      .orderBy(sql`candidate.schedule_key is null`)
      .orderBy('candidate.run_at')
      .limit(1);
    if (input.scheduledOnly) due = due.where('candidate.schedule_key', 'is not', null);
    if (input.jobId !== undefined) due = due.where('candidate.id', '=', input.jobId);
    return due;
  };
  const claim = async (trx: Executor): Promise<JobRow | undefined> => {
    const due = dueOf(trx);
    // Dialect branch: SQLite has one writer at a time and no row locks; PostgreSQL's claimers would
    // otherwise queue behind each other's row lock.
    const subquery = input.dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
    return trx
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
  };
  // Dialect branch: SQLite runs one write at a time, so the claim above sees every earlier claim. On
  // PostgreSQL two claims at once would each see the other's slot still queued and could start two
  // slots of one sweep together; claims take turns on a transaction-scoped lock instead, and each
  // starts its snapshot after the previous one committed. A claim takes milliseconds, once a poll.
  if (input.dialect === 'sqlite') {
    // A read first: most polls find nothing due, and the update, even one that changes nothing, takes
    // the write lock (it holds the server's writer thread between two batches, and ends an erasure
    // batch that takes turns).
    if ((await dueOf(db).executeTakeFirst()) === undefined) return undefined;
    return claim(db);
  }
  const locked = async (trx: Executor) => {
    await sql`select pg_advisory_xact_lock(hashtext('plauder.jobs.claim'))`.execute(trx);
    return claim(trx);
  };
  return db.isTransaction ? locked(db) : db.transaction().execute(locked);
}

/** Extends a running job's lease, if `nodeId` still holds it; answers whether it does. */
export async function renewLease(
  db: Executor,
  input: { id: string; nodeId: string; lockedUntil: number },
): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ locked_until: input.lockedUntil })
    .where('id', '=', input.id)
    .where('status', '=', 'running')
    .where('locked_by', '=', input.nodeId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A running job, as held by a node: what saves its progress (saveProgress), and the lease it renews. */
export interface JobHold {
  id: string;
  nodeId: string;
  lockedUntil: number;
}

/**
 * Saves a run's progress and renews its lease, if the node still holds the job. Answers whether it
 * does and whether a cancel was asked for.
 */
export async function saveProgress(
  db: Executor,
  input: JobHold & {
    done: number;
    total: number | null | undefined;
    cursor: string | undefined;
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

/** An account's jobs of one name that are queued or running, oldest first. */
export function listUnfinishedJobs(db: Executor, where: { accountId: string; name: string }): Promise<JobRow[]> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('name', '=', where.name)
    .where('status', 'in', ['queued', 'running'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** When a run of the job `name` last finished with `done` (epoch ms); undefined when none did, or its record aged out. */
export async function lastDoneAt(db: Executor, where: { name: string }): Promise<number | undefined> {
  const row = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.max('finished_at').as('at'))
    .where('name', '=', where.name)
    .where('status', '=', 'done')
    .executeTakeFirst();
  return row?.at ?? undefined;
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
