import { SiteOrigin, WidgetSettings, type VisitorSessionDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import {
  signVisitorToken,
  verifyVisitorToken,
  VisitorTokenError,
  type VisitorTokenClaims,
} from '../../crypto/visitor-token.js';
import { findWidgetByPublicKey, insertVisitor } from '../../storage/widgets-repository.js';
import { AppError } from '../errors.js';

/** How long a visitor token is valid, in milliseconds: one working day of chatting. */
export const VISITOR_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Starts a visitor session for the widget with this public key: records an anonymous visitor (no
 * personal data) and returns a signed token for the visitor socket. Called only when the visitor
 * interacts with the chat, never on a page view. When the widget lists allowed origins, the page's
 * `siteOrigin` must be one of them (`origin_not_allowed`); the origin is checked, never stored.
 */
export async function startVisitorSession(
  ctx: Context,
  input: { publicKey: string; siteOrigin?: string },
): Promise<VisitorSessionDto> {
  const widget = await findWidgetByPublicKey(ctx.database.db, input.publicKey);
  if (!widget) {
    throw new AppError('not_found', 'No widget with this public key; check the data-widget attribute of the loader');
  }
  // A terminated account's widget stops serving (its config file is gone too).
  if (widget.accountStatus !== 'active') {
    throw new AppError('account_terminated', "This widget's account was terminated; its chat is no longer available");
  }
  // Settings that do not parse throw: falling back to defaults would lift the site restriction.
  assertOriginAllowed(WidgetSettings.parse(widget.settings).allowedOrigins, input.siteOrigin);
  const now = ctx.clock.now();
  const visitorId = await insertVisitor(ctx.database.db, { accountId: widget.accountId, widgetId: widget.id, now });
  const expiresAt = now + VISITOR_TOKEN_TTL_MS;
  const key = await ctx.keyring.visitorTokenKey(ctx.database.db);
  const token = signVisitorToken(key, { accountId: widget.accountId, widgetId: widget.id, visitorId, expiresAt });
  return { token, visitorId, expiresAt };
}

/**
 * Throws origin_not_allowed unless `siteOrigin`, normalized as the allowed origins are, is one of
 * them; an empty list allows any site.
 */
function assertOriginAllowed(allowedOrigins: readonly string[], siteOrigin: string | undefined): void {
  if (allowedOrigins.length === 0) return;
  if (siteOrigin === undefined) {
    throw new AppError(
      'origin_not_allowed',
      "This widget may only be embedded on its allowed origins; send the page's origin as siteOrigin",
    );
  }
  const parsed = SiteOrigin.safeParse(siteOrigin);
  if (!parsed.success || !allowedOrigins.includes(parsed.data)) {
    throw new AppError(
      'origin_not_allowed',
      `This site (${siteOrigin}) may not embed this widget; add it to the widget's allowed origins`,
    );
  }
}

/** Checks a visitor token; throws `unauthenticated` (forged, malformed) or `session_expired`. */
export async function authenticateVisitor(ctx: Context, token: string): Promise<VisitorTokenClaims> {
  const key = await ctx.keyring.visitorTokenKey(ctx.database.db);
  try {
    return verifyVisitorToken(key, token, ctx.clock.now());
  } catch (error) {
    if (!(error instanceof VisitorTokenError)) throw error;
    throw new AppError(error.reason === 'expired' ? 'session_expired' : 'unauthenticated', error.message);
  }
}
