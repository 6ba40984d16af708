import { randomUUID } from 'node:crypto';
import type { ErasureRecordsTable, Executor } from './schema.js';

/** A record that a subject was erased: which one, when and why — ids only, never content. */
export interface ErasureRecord {
  accountId: string;
  subjectKind: ErasureRecordsTable['subject_kind'];
  subjectId: string;
  reason: string;
  at: number;
}

/** Writes an erasure record; it outlives the subject, as long as the installation. */
export async function insertErasureRecord(db: Executor, record: ErasureRecord): Promise<void> {
  await db
    .insertInto('erasure_records')
    .values({
      id: randomUUID(),
      account_id: record.accountId,
      subject_kind: record.subjectKind,
      subject_id: record.subjectId,
      erased_at: record.at,
      reason: record.reason,
    })
    .execute();
}
