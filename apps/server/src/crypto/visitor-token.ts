import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** The prefix and format version of a visitor token. */
const PREFIX = 'vt1';

/** What a visitor token asserts: this visitor of this widget of this account, until `expiresAt`. */
export const VisitorTokenClaims = z.object({
  accountId: z.string().uuid(),
  widgetId: z.string().uuid(),
  visitorId: z.string().uuid(),
  expiresAt: z.number().int(),
});
/** What a visitor token asserts. */
export type VisitorTokenClaims = z.infer<typeof VisitorTokenClaims>;

/** Why a visitor token was refused. */
export class VisitorTokenError extends Error {
  constructor(
    readonly reason: 'malformed' | 'forged' | 'expired',
    message: string,
  ) {
    super(message);
    this.name = 'VisitorTokenError';
  }
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(`${PREFIX}.${payload}`).digest();
}

/**
 * Signs claims into a token `vt1.<claims>.<hmac>` (base64url). It is not a cookie: the chat window
 * holds it in memory only and sends it when it opens its socket.
 */
export function signVisitorToken(key: Buffer, claims: VisitorTokenClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${PREFIX}.${payload}.${mac(key, payload).toString('base64url')}`;
}

/** Checks a token's signature and expiry; throws VisitorTokenError saying why it is refused. */
export function verifyVisitorToken(key: Buffer, token: string, now: number): VisitorTokenClaims {
  const [prefix, payload, signature, ...rest] = token.split('.');
  if (prefix !== PREFIX || !payload || !signature || rest.length > 0) {
    throw new VisitorTokenError('malformed', 'The visitor token is not a Plauder visitor token');
  }
  const expected = mac(key, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new VisitorTokenError('forged', 'The visitor token was not issued by this installation');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new VisitorTokenError('malformed', 'The visitor token does not hold its claims');
  }
  const claims = VisitorTokenClaims.safeParse(json);
  if (!claims.success) throw new VisitorTokenError('malformed', 'The visitor token does not hold its claims');
  if (claims.data.expiresAt <= now) {
    throw new VisitorTokenError('expired', 'The visitor token has expired; start a new visitor session');
  }
  return claims.data;
}
