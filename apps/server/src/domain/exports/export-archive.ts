import { PassThrough, Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { Context } from '../../context.js';
import { open, sealedKeyId } from '../../crypto/seal.js';
import { attachmentContentContext } from '../../storage/attachments-repository.js';
import type { ExportAttachment } from '../../storage/export-repository.js';
import { attachmentPath, exportDocumentChunks } from './export-document.js';
import type { ExportPlan } from './export-plan.js';

/** The name of the document in the archive. */
export const EXPORT_DOCUMENT_NAME = 'export.json';

/**
 * The archive of an export as a zip stream: every file of the plan decrypted under
 * `attachments/<conversationId>/<attachmentId>-<safe name>`, then export.json. Entries are written
 * one after another as the reader takes them: one file is in memory at a time (opened whole, since
 * AES-GCM proves the bytes genuine only at their end) and a page of messages, whatever the size of
 * the transcript. A failure (a database or file store error, a conversation erased meanwhile) is
 * logged and destroys the stream with that error; a reader that goes away stops the work.
 */
export function exportArchive(
  ctx: Context,
  input: { plan: ExportPlan; pageSize?: number; onConversation?: (done: number, total: number) => void },
): Readable {
  const { plan } = input;
  const zip = new ZipFile();
  const output = new PassThrough();
  // The entries' sources in flight: destroyed when the reader goes away, so no work goes on for nobody.
  const sources = new Set<Readable>();
  const fail = (error: unknown) => {
    ctx.logger.error({ err: error, accountId: plan.accountId }, 'A subject access export failed');
    for (const source of sources) source.destroy();
    output.destroy(error instanceof Error ? error : new Error(String(error)));
  };
  output.on('close', () => {
    for (const source of sources) source.destroy();
  });
  zip.on('error', fail);
  // yazl pipes an entry's source without listening for its errors: they are ours to route.
  const track = (source: Readable): Readable => {
    sources.add(source);
    source.on('error', fail);
    source.on('close', () => sources.delete(source));
    return source;
  };
  const mtime = new Date(plan.exportedAt);

  const fill = async (): Promise<void> => {
    const missingFiles = new Set<string>();
    for (const conversation of plan.conversations) {
      for (const attachment of conversation.attachments) {
        if (output.destroyed) return;
        const data = await openAttachmentFile(ctx, { accountId: plan.accountId, attachment });
        if (data === undefined) {
          missingFiles.add(attachment.id);
          continue;
        }
        const source = track(Readable.from([data], { objectMode: false }));
        // Images and PDFs are compressed already; deflating them again costs time and saves nothing.
        const compress = attachment.contentType === 'text/plain';
        zip.addReadStreamLazy(attachmentPath(conversation.id, attachment), { mtime, compress }, (done) =>
          done(null, source),
        );
        // One file at a time: the next is opened only once this one is in the archive (or abandoned).
        await new Promise<void>((resolve) => source.once('close', resolve));
      }
    }
    if (output.destroyed) return;
    const document = track(
      Readable.from(
        exportDocumentChunks(ctx, {
          plan,
          missingFiles,
          ...(input.pageSize === undefined ? {} : { pageSize: input.pageSize }),
          ...(input.onConversation ? { onConversation: input.onConversation } : {}),
        }),
        { objectMode: false },
      ),
    );
    zip.addReadStreamLazy(EXPORT_DOCUMENT_NAME, { mtime }, (done) => done(null, document));
    zip.end();
  };
  zip.outputStream.pipe(output);
  fill().catch(fail);
  return output;
}

/**
 * An attachment's bytes, decrypted; `undefined` (logged) when the file store does not have the file.
 * Throws KeyDestroyedError once the conversation was erased.
 */
async function openAttachmentFile(
  ctx: Context,
  input: { accountId: string; attachment: ExportAttachment },
): Promise<Buffer | undefined> {
  const { accountId, attachment } = input;
  const sealed = await ctx.fileStore.get(attachment.storageKey);
  if (!sealed) {
    ctx.logger.error(
      { attachmentId: attachment.id, storageKey: attachment.storageKey },
      'The file of an attachment is missing; the export lists it without a path',
    );
    return undefined;
  }
  const key = await ctx.keyring.keyById(ctx.database.db, sealedKeyId(sealed));
  return open(key, sealed, attachmentContentContext(accountId, attachment.id));
}
