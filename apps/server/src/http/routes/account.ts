import { z } from 'zod';
import type { Context } from '../../context.js';
import { AppError } from '../../domain/errors.js';
import { requireRole } from '../../domain/principal.js';
import { findAccount } from '../../storage/accounts-repository.js';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

const AccountDto = z.object({
  id: z.string(),
  name: z.string(),
  plan: z.string(),
  status: z.enum(['active', 'terminated']),
  retentionMonths: z.number().int(),
  createdAt: z.number().int(),
});

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

/** The caller's account and its audit log. */
export function accountRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/account',
    { schema: { tags: ['account'], summary: 'The account of the caller', response: { 200: AccountDto } } },
    async (request) => {
      const account = await findAccount(ctx.database.db, principalOf(request).accountId);
      if (!account) throw new AppError('unauthenticated', 'This account no longer exists');
      return {
        id: account.id,
        name: account.name,
        plan: account.plan,
        status: account.status,
        retentionMonths: account.retention_months,
        createdAt: account.created_at,
      };
    },
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
      const principal = principalOf(request);
      requireRole(principal, 'admin');
      const entries = await listAuditEntries(ctx.database.db, { accountId: principal.accountId, ...request.query });
      return {
        entries: entries.map((e) => ({
          id: e.id,
          actorKind: e.actorKind,
          actorId: e.actorId,
          action: e.action,
          targetKind: e.targetKind ?? null,
          targetIds: [...(e.targetIds ?? [])],
          count: e.count ?? null,
          at: e.at,
        })),
      };
    },
  );
}
