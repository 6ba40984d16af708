import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import { assertAccountActive } from '../domain/accounts/terminate-account.js';
import { authenticateApiToken, authenticateSession } from '../domain/auth/authenticate.js';
import { csrfTokenOf, safeEqual } from '../domain/auth/session-tokens.js';
import { AppError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';

/** The name of the session cookie. */
export const SESSION_COOKIE = 'plauder_session';
/** The header that carries the CSRF token on cookie-authenticated writes. */
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /**
     * A POST that changes nothing: its input (search words, an email) does not belong in a URL, which
     * proxies and access logs keep. Read-only API tokens may send it; sessions still need CSRF.
     */
    readsOnly?: boolean;
  }
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The writes a terminated account keeps in its grace period, as `METHOD route` exactly as registered:
 * signing out, the exports (its data stays exportable until the purge), erasure, bulk deletes, a
 * widget's deletion and cancelling jobs (P4 holds at any time), and the termination itself (a second
 * one answers conflict). Every other write answers `account_terminated`; account-lifecycle.test.ts
 * classifies every registered write route, so a new one fails it until someone decides.
 */
const GRACE_PERIOD_WRITES: ReadonlySet<string> = new Set([
  'POST /api/v1/auth/logout',
  'POST /api/v1/account/terminate',
  'POST /api/v1/exports',
  'DELETE /api/v1/contacts/:id',
  'DELETE /api/v1/conversations/:id/messages/:messageId',
  'POST /api/v1/deletions',
  'DELETE /api/v1/widgets/:widgetId/conversations',
  'DELETE /api/v1/widgets/:widgetId',
  'POST /api/v1/jobs/:id/cancel',
  // Revoking access: a leaked token or a departed colleague must not keep reading until the purge.
  'DELETE /api/v1/api-tokens/:id',
  'DELETE /api/v1/operators/:id',
  'DELETE /api/v1/operator-invitations/:id',
  // Stopping data from leaving: an endpoint removed gets nothing more.
  'DELETE /api/v1/webhooks/:id',
]);

/** Whether a write to this route (its pattern, such as `/api/v1/contacts/:id`) works in a terminated account. */
function writesDuringGracePeriod(route: { method: string; url: string }): boolean {
  return GRACE_PERIOD_WRITES.has(`${route.method} ${route.url}`);
}

/**
 * Resolves who makes the request: an API token (`Authorization: Bearer plt_…`) or the session cookie.
 * Cookie-authenticated writes must carry the session's CSRF token; read-only tokens only read: safe
 * methods, and the POST routes marked `config: { readsOnly: true }`. In a terminated account every
 * write but those of GRACE_PERIOD_WRITES answers `account_terminated`.
 */
export async function resolvePrincipal(ctx: Context, request: FastifyRequest): Promise<Principal> {
  const principal = await authenticateRequest(ctx, request);
  const reads = safeMethods.has(request.method) || request.routeOptions.config.readsOnly === true;
  if (!reads && !writesDuringGracePeriod({ method: request.method, url: request.routeOptions.url ?? '' })) {
    await assertAccountActive(ctx, { accountId: principal.accountId });
  }
  return principal;
}

async function authenticateRequest(ctx: Context, request: FastifyRequest): Promise<Principal> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    const match = /^Bearer +(\S+)$/i.exec(authorization);
    if (!match?.[1]) throw new AppError('unauthenticated', 'The Authorization header must be "Bearer <API token>"');
    const principal = await authenticateApiToken(ctx, match[1]);
    const reads = safeMethods.has(request.method) || request.routeOptions.config.readsOnly === true;
    if (principal.scope === 'read' && !reads) {
      throw new AppError('forbidden', 'This API token is read-only');
    }
    return principal;
  }
  const secret = request.cookies[SESSION_COOKIE];
  if (!secret)
    throw new AppError('unauthenticated', 'Not logged in; log in at POST /api/v1/auth/login or send an API token');
  const { principal } = await authenticateSession(ctx, secret);
  if (!safeMethods.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !safeEqual(sent, csrfTokenOf(secret))) {
      throw new AppError(
        'csrf_failed',
        `Writes with the session cookie need the ${CSRF_HEADER} header from the login answer`,
      );
    }
  }
  return principal;
}

/** The principal of an authenticated route; the auth hook has set it. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated', 'Not logged in');
  return request.principal;
}

/** The operator principal of a route that needs a person (session), not an API token. */
export function operatorOf(request: FastifyRequest): Principal & { kind: 'operator' } {
  const principal = principalOf(request);
  if (principal.kind !== 'operator')
    throw new AppError('forbidden', 'This needs a logged-in operator, not an API token');
  return principal;
}

/**
 * Sets the session cookie: HttpOnly, SameSite=Lax, Secure under https. It is a browser-session cookie
 * (no Max-Age): the server alone decides when the session expires, sliding it forward on use.
 */
export function setSessionCookie(reply: FastifyReply, input: { secret: string; secure: boolean }): void {
  void reply.setCookie(SESSION_COOKIE, input.secret, {
    httpOnly: true,
    sameSite: 'lax',
    secure: input.secure,
    path: '/',
  });
}

/** Clears the session cookie. */
export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
