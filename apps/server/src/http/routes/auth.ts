import { LoginRequest, SessionDto, type OperatorDto } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { authenticateSession, logOut } from '../../domain/auth/authenticate.js';
import { logIn } from '../../domain/auth/log-in.js';
import { csrfTokenOf } from '../../domain/auth/session-tokens.js';
import { beginTotpSetup, disableTotp, enableTotp } from '../../domain/auth/totp.js';
import { AppError } from '../../domain/errors.js';
import type { Operator } from '../../storage/operators-repository.js';
import { clearSessionCookie, operatorOf, SESSION_COOKIE, setSessionCookie } from '../auth.js';
import type { App } from '../server.js';
import { NoContent } from './schemas.js';

/** The operator as the API shows it. */
export function presentOperator(operator: Operator): OperatorDto {
  return {
    id: operator.id,
    accountId: operator.accountId,
    email: operator.email,
    displayName: operator.displayName,
    role: operator.role,
    totpEnabled: operator.totpEnabled,
    capacity: operator.capacity,
    createdAt: operator.createdAt,
  };
}

const TotpCode = z.object({ code: z.string().regex(/^\d{6}$/, 'a 6-digit code') });

/** Login and logout: public, they set and clear the session cookie. */
export function publicAuthRoutes(app: App, ctx: Context, options: { secureCookies: boolean }): void {
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in with email, password and (if on) a TOTP code',
        body: LoginRequest,
        response: { 200: SessionDto },
      },
    },
    async (request, reply) => {
      const session = await logIn(ctx, { ...request.body, client: ctx.loginThrottle.clientKey(request.ip) });
      setSessionCookie(reply, { secret: session.secret, secure: options.secureCookies });
      return {
        operator: presentOperator(session.operator),
        csrfToken: session.csrfToken,
        expiresAt: session.expiresAt,
      };
    },
  );
  app.get(
    '/api/v1/auth/session',
    { schema: { tags: ['auth'], summary: 'The current session and its CSRF token', response: { 200: SessionDto } } },
    async (request) => {
      const secret = request.cookies[SESSION_COOKIE];
      if (!secret) throw new AppError('unauthenticated', 'Not logged in');
      const { operator, expiresAt } = await authenticateSession(ctx, secret);
      return { operator: presentOperator(operator), csrfToken: csrfTokenOf(secret), expiresAt };
    },
  );
}

/** Logout and 2FA management: for a logged-in operator. */
export function authRoutes(app: App, ctx: Context, options: { secureCookies: boolean }): void {
  app.post(
    '/api/v1/auth/logout',
    { schema: { tags: ['auth'], summary: 'End the current session', response: { 204: NoContent } } },
    async (request, reply) => {
      await logOut(ctx, operatorOf(request));
      clearSessionCookie(reply, options.secureCookies);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/v1/auth/totp/setup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Start two-factor enrollment: a new secret and its otpauth URI',
        response: { 200: z.object({ secret: z.string(), uri: z.string() }) },
      },
    },
    (request) => beginTotpSetup(ctx, { by: operatorOf(request) }),
  );
  app.post(
    '/api/v1/auth/totp/enable',
    {
      schema: {
        tags: ['auth'],
        summary: 'Turn two-factor login on with a first code',
        body: TotpCode,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await enableTotp(ctx, { by: operatorOf(request), code: request.body.code });
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/v1/auth/totp/disable',
    {
      schema: {
        tags: ['auth'],
        summary: 'Turn two-factor login off (ends every session)',
        body: TotpCode,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await disableTotp(ctx, { by: operatorOf(request), code: request.body.code });
      clearSessionCookie(reply, options.secureCookies);
      return reply.status(204).send(null);
    },
  );
}
