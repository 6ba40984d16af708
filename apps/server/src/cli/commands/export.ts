import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { ExportByEmailRequest, type ExportCounts } from '@plauder/protocol';
import { AppError } from '../../domain/errors.js';
import { exportContactByEmail } from '../../domain/exports/export-contact-by-email.js';
import { exportContact } from '../../domain/exports/export-contact.js';
import { jsonOption, withContext } from '../command-context.js';
import { createOutput } from '../output.js';
import { createProgress } from '../progress.js';

interface ExportOptions {
  account: string;
  contact?: string;
  email?: string;
  out: string;
  json?: boolean;
}

/**
 * `plauder export`: a subject access export (GDPR Art. 15) of one contact, by id or by email, written
 * to a new zip file; prints what it holds. Works while the account is terminated, in its grace period.
 */
export function registerExportCommand(cli: Command): void {
  cli
    .command('export')
    .description("write everything an account keeps about a contact (by id or email) to a zip: the subject's copy")
    .requiredOption('--account <id>', 'the account id')
    .option('--contact <id>', 'the contact id')
    .option('--email <email>', "the contact's email (every contact of the account with it)")
    .requiredOption('--out <file>', 'the zip file to write; it must not exist yet')
    .addOption(jsonOption())
    .action(async (options: ExportOptions) => {
      const out = createOutput(Boolean(options.json));
      const subject = subjectOf(options);
      const file = path.resolve(options.out);
      const handle = await createNewFile(file);
      const progress = createProgress({ label: 'Exporting', unit: 'conversations', json: Boolean(options.json) });
      let written = false;
      let counts: ExportCounts;
      try {
        counts = await withContext(async (ctx) => {
          const by = { kind: 'cli' as const, accountId: options.account };
          const onProgress = (done: number, total: number) => progress.update(done, total);
          const exported =
            'contactId' in subject
              ? await exportContact(ctx, { by, contactId: subject.contactId, onProgress })
              : await exportContactByEmail(ctx, { by, email: subject.email, onProgress });
          await pipeline(exported.archive, handle.createWriteStream());
          return exported.counts;
        });
        written = true;
      } finally {
        progress.finish();
        if (!written) {
          // A half-written archive is worse than none: it would look like the whole export.
          await handle.close().catch(() => undefined);
          await rm(file, { force: true });
        }
      }
      out.result({ file, ...counts });
      out.say('The file holds personal data: hand it to the data subject over a secure channel, then delete it.');
    });
}

/** The contact the options name: exactly one of --contact and --email, the email a valid address. */
function subjectOf(options: ExportOptions): { contactId: string } | { email: string } {
  if ((options.contact === undefined) === (options.email === undefined)) {
    throw new AppError('validation_failed', 'Name the contact with exactly one of --contact ID and --email EMAIL');
  }
  if (options.contact !== undefined) return { contactId: options.contact };
  const parsed = ExportByEmailRequest.safeParse({ email: options.email });
  if (!parsed.success) throw new AppError('validation_failed', `--email is not an email address`);
  return { email: parsed.data.email };
}

/** Creates the output file, readable by its owner only; an existing file is never overwritten. */
async function createNewFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'wx', 0o600);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST') {
      throw new AppError('validation_failed', `${file} exists already; choose another --out or remove it`);
    }
    throw error;
  }
}
