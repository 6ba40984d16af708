import {
  CannedResponseBody,
  CannedResponseShortcut,
  CannedResponseTitle,
  type CannedResponseDto,
} from '@plauder/protocol';
import type { z } from 'zod';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import type { CannedResponseChanges, CannedResponseRecord } from '../../storage/canned-responses-repository.js';
import type { Executor } from '../../storage/schema.js';
import { AppError } from '../errors.js';
import { actorOf, type Principal } from '../principal.js';

/** The fields of a canned response as given by a caller, before they are checked. */
export interface CannedResponseInput {
  shortcut?: string | undefined;
  title?: string | undefined;
  body?: string | undefined;
}

function parseField<T>(field: keyof CannedResponseInput, schema: z.ZodType<T>, value: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'invalid';
  throw new AppError('validation_failed', `Invalid ${field}: ${message}`, [{ path: field, message }]);
}

/** A shortcut checked, without its leading "/"; throws `validation_failed` unless it matches the rule. */
export function parseShortcut(value: string): string {
  return parseField('shortcut', CannedResponseShortcut, value).replace(/^\//, '');
}

/** A title checked and trimmed; throws `validation_failed` unless it has 1 to 100 characters. */
export function parseTitle(value: string): string {
  return parseField('title', CannedResponseTitle, value);
}

/** A body checked and trimmed; throws `validation_failed` unless it has 1 to 5000 characters. */
export function parseBody(value: string): string {
  return parseField('body', CannedResponseBody, value);
}

/** The fields given, checked and normalized; throws `validation_failed` naming the first bad one. */
export function parseCannedResponseFields(input: CannedResponseInput): CannedResponseChanges {
  return {
    ...(input.shortcut === undefined ? {} : { shortcut: parseShortcut(input.shortcut) }),
    ...(input.title === undefined ? {} : { title: parseTitle(input.title) }),
    ...(input.body === undefined ? {} : { body: parseBody(input.body) }),
  };
}

/** The `conflict` error of a shortcut the account uses already. */
export function shortcutTaken(shortcut: string): AppError {
  return new AppError(
    'conflict',
    `The shortcut /${shortcut} is taken in this account; choose another or change that canned response`,
  );
}

/** A stored canned response as the API answers it. */
export function presentCannedResponse(record: CannedResponseRecord): CannedResponseDto {
  return {
    id: record.id,
    shortcut: record.shortcut,
    title: record.title,
    body: record.body,
    createdBy: record.created_by,
    createdAt: record.created_at,
    updatedAt: record.updated_at,
  };
}

/** Records a change to a canned response in the audit log: its id only, never its text. */
export async function auditCannedResponse(
  db: Executor,
  input: {
    by: Principal;
    action: 'canned-response.created' | 'canned-response.updated' | 'canned-response.deleted';
    cannedResponseId: string;
    at: number;
  },
): Promise<void> {
  await insertAuditEntry(db, {
    accountId: input.by.accountId,
    ...actorOf(input.by),
    action: input.action,
    targetKind: 'canned_response',
    targetIds: [input.cannedResponseId],
    at: input.at,
  });
}
