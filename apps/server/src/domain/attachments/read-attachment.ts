import type { AttachmentDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { open, sealedKeyId } from '../../crypto/seal.js';
import { attachmentContentContext, findAttachmentMeta, getAttachment } from '../../storage/attachments-repository.js';
import { notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';

/** Who reads a file: the conversation's visitor, or an operator (or API token) of its account. */
export type AttachmentReader = { kind: 'visitor'; accountId: string; visitorId: string } | Principal;

/** An attachment opened for download: its metadata, its file name and its bytes. */
export interface OpenedAttachment {
  attachment: AttachmentDto;
  fileName: string;
  data: Buffer;
}

/**
 * Opens an attachment for its reader (minimum role: operator). A visitor reads only the files of its
 * own conversations, never those of internal notes; every other id answers `not_found`, exactly as
 * an unknown one. Throws KeyDestroyedError once the conversation's key was erased.
 */
export async function readAttachment(
  ctx: Context,
  input: { reader: AttachmentReader; attachmentId: string },
): Promise<OpenedAttachment> {
  const { reader, attachmentId } = input;
  if (reader.kind !== 'visitor') requireRole(reader, 'operator');
  const { accountId } = reader;
  // Access is decided on the plain metadata, before any key is used: an erased conversation of someone
  // else answers 404 like any other foreign id, not 410.
  const meta = await findAttachmentMeta(ctx.database.db, { accountId, attachmentId });
  if (!meta || (reader.kind === 'visitor' && (meta.visitorId !== reader.visitorId || meta.messageKind === 'note'))) {
    throw notFound('attachment', attachmentId);
  }
  const record = await getAttachment(ctx.store, { accountId, attachmentId });
  // Deleted since the lookup above.
  if (!record) throw notFound('attachment', attachmentId);
  const sealed = await ctx.fileStore.get(record.storageKey);
  if (!sealed) {
    ctx.logger.error({ attachmentId, storageKey: record.storageKey }, 'The file of an attachment is missing');
    throw notFound('attachment', attachmentId);
  }
  const key = await ctx.keyring.keyById(ctx.database.db, sealedKeyId(sealed));
  // Opened whole, never streamed: GCM proves the bytes genuine only at the end, and nothing unproven
  // may reach a browser.
  const data = open(key, sealed, attachmentContentContext(accountId, attachmentId));
  return {
    attachment: { id: meta.id, contentType: meta.contentType, sizeBytes: meta.sizeBytes },
    fileName: record.fileName,
    data,
  };
}
