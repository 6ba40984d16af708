import { AccountChanges, AccountDto, AccountTermination } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { getAccount, type Account } from '../../domain/accounts/get-account.js';
import { terminateAccount } from '../../domain/accounts/terminate-account.js';
import { updateAccount } from '../../domain/accounts/update-account.js';
import { listAuditLog, type AuditLogEntry } from '../../domain/audit/list-audit-log.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

const AuditEntryDto = z.object({
  id: z.number().int(),
  actorKind: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  targetKind: z.string().nullable(),
  targetIds: z.array(z.string()),
  count: z.number().int().nullable(),
  at: z.number().int(),
});

// Presenters copy field by field, so a field added to a domain type reaches the API only on purpose.
function presentAccount(account: Account): AccountDto {
  return {
    id: account.id,
    name: account.name,
    plan: account.plan,
    status: account.status,
    retentionMonths: account.retentionMonths,
    showVisitorIp: account.showVisitorIp,
    timeZone: account.timeZone,
    createdAt: account.createdAt,
    terminatedAt: account.terminatedAt,
    purgeAfterAt: account.purgeAfterAt,
  };
}

function presentAuditEntry(entry: AuditLogEntry): z.infer<typeof AuditEntryDto> {
  return {
    id: entry.id,
    actorKind: entry.actorKind,
    actorId: entry.actorId,
    action: entry.action,
    targetKind: entry.targetKind,
    targetIds: entry.targetIds,
    count: entry.count,
    at: entry.at,
  };
}

/** The caller's account, its settings, its termination and its audit log. */
export function accountRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/account',
    { schema: { tags: ['account'], summary: 'The account of the caller', response: { 200: AccountDto } } },
    async (request) => presentAccount(await getAccount(ctx, { by: principalOf(request) })),
  );
  app.patch(
    '/api/v1/account',
    {
      schema: {
        tags: ['account'],
        summary: "Change the account's name, retention window, IP display or time zone (admin); the fields given",
        body: AccountChanges.strict(),
        response: { 200: AccountDto },
      },
    },
    async (request) => presentAccount(await updateAccount(ctx, { by: principalOf(request), changes: request.body })),
  );
  app.post(
    '/api/v1/account/terminate',
    {
      schema: {
        tags: ['account'],
        summary:
          'Terminate the account (owner): read-only and widgets off at once, every row, file and key deleted after the grace period',
        body: AccountTermination.strict(),
        response: { 200: AccountDto },
      },
    },
    async (request) =>
      presentAccount(await terminateAccount(ctx, { by: principalOf(request), confirmName: request.body.confirmName })),
  );
  app.get(
    '/api/v1/audit-log',
    {
      schema: {
        tags: ['account'],
        summary:
          'Privileged actions in the account, newest first (admin): who, what, which ids, how many — never content',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(100),
          before: z.coerce.number().int().min(1).optional(),
        }),
        response: { 200: z.object({ entries: z.array(AuditEntryDto) }) },
      },
    },
    async (request) => {
      const entries = await listAuditLog(ctx, { by: principalOf(request), ...request.query });
      return { entries: entries.map(presentAuditEntry) };
    },
  );
}
