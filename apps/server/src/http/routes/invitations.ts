import {
  AcceptInvitation,
  IssuedOperatorInvitationDto,
  NewOperatorInvitation,
  OperatorInvitationDto,
  SessionDto,
} from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { acceptInvitation } from '../../domain/operators/accept-invitation.js';
import { inviteOperator } from '../../domain/operators/invite-operator.js';
import { listInvitations } from '../../domain/operators/list-invitations.js';
import { revokeInvitation } from '../../domain/operators/revoke-invitation.js';
import { principalOf, setSessionCookie } from '../auth.js';
import type { App } from '../server.js';
import { presentOperator } from './auth.js';
import { IdParams, NoContent } from './schemas.js';

/** Invitations of colleagues to the caller's account: admins and owners make, list and revoke them. */
export function invitationRoutes(app: App, ctx: Context): void {
  app.post(
    '/api/v1/operator-invitations',
    {
      schema: {
        tags: ['operators'],
        summary: 'Invite a colleague by email; the answer holds the link to send them, shown once (admin)',
        body: NewOperatorInvitation,
        response: { 201: IssuedOperatorInvitationDto },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await inviteOperator(ctx, { by: principalOf(request), ...request.body })),
  );
  app.get(
    '/api/v1/operator-invitations',
    {
      schema: {
        tags: ['operators'],
        summary: "The account's pending invitations, newest first (admin)",
        response: { 200: z.object({ invitations: z.array(OperatorInvitationDto) }) },
      },
    },
    async (request) => ({ invitations: await listInvitations(ctx, { by: principalOf(request) }) }),
  );
  app.delete(
    '/api/v1/operator-invitations/:id',
    {
      schema: {
        tags: ['operators'],
        summary: 'Revoke a pending invitation: its link stops working (admin)',
        params: IdParams,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await revokeInvitation(ctx, { by: principalOf(request), invitationId: request.params.id });
      return reply.status(204).send(null);
    },
  );
}

/** Accepting an invitation: public, the link's token is the credential; it signs the new operator in. */
export function publicInvitationRoutes(app: App, ctx: Context, options: { secureCookies: boolean }): void {
  app.post(
    '/api/v1/invitations/accept',
    {
      schema: {
        tags: ['auth'],
        summary: "Accept an invitation with the link's token, a display name and a password; logs in",
        body: AcceptInvitation,
        response: { 200: SessionDto },
      },
    },
    async (request, reply) => {
      const session = await acceptInvitation(ctx, {
        ...request.body,
        client: ctx.loginThrottle.clientKey(request.ip),
      });
      setSessionCookie(reply, { secret: session.secret, secure: options.secureCookies });
      return {
        operator: presentOperator(session.operator),
        csrfToken: session.csrfToken,
        expiresAt: session.expiresAt,
      };
    },
  );
}
