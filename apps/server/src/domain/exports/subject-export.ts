import type { Readable } from 'node:stream';
import type { ExportCounts } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { insertAuditEntry, type AuditEntry } from '../../storage/audit-repository.js';
import { exportArchive } from './export-archive.js';
import { planExport, type ExportSubject } from './export-plan.js';

/** A subject access export on its way: the archive to stream, its file name, and what it holds. */
export interface SubjectExport {
  /** A download name for the zip, ASCII only: `plauder-export-<subject>-<date>.zip`. */
  fileName: string;
  counts: ExportCounts;
  /** The zip, written as it is read. */
  archive: Readable;
}

/** Where export progress goes (the command line's bar): conversations written of all. */
export type ExportProgress = (done: number, total: number) => void;

/**
 * Plans the export of a subject, records it in the audit log as `contact.exported` (the subject's ids
 * first, then the conversations', and the number of messages: ids and counts, never content), and
 * starts the archive. Callers have checked who may ask.
 */
export async function startSubjectExport(
  ctx: Context,
  input: {
    accountId: string;
    subject: ExportSubject;
    actor: Pick<AuditEntry, 'actorKind' | 'actorId'>;
    /** Names the subject in the file name: a contact id, or `visitor`. */
    label: string;
    onProgress?: ExportProgress;
  },
): Promise<SubjectExport> {
  const { accountId, subject } = input;
  const plan = await planExport(ctx, { accountId, subject });
  const subjectIds = subject.kind === 'contacts' ? subject.contacts.map((c) => c.id) : [subject.visitorId];
  await insertAuditEntry(ctx.database.db, {
    accountId,
    ...input.actor,
    action: 'contact.exported',
    targetKind: subject.kind === 'contacts' ? 'contact' : 'visitor',
    targetIds: [...subjectIds, ...plan.conversations.map((c) => c.id)],
    count: plan.counts.messages,
    at: plan.exportedAt,
  });
  const day = new Date(plan.exportedAt).toISOString().slice(0, 10);
  return {
    fileName: `plauder-export-${input.label}-${day}.zip`,
    counts: plan.counts,
    archive: exportArchive(ctx, { plan, ...(input.onProgress ? { onConversation: input.onProgress } : {}) }),
  };
}
