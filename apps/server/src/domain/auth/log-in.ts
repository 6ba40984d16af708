import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { findLoginRecord, operatorEmailIndex, type Operator } from '../../storage/operators-repository.js';
import { insertSession } from '../../storage/sessions-repository.js';
import { AppError } from '../errors.js';
import { verifyAgainstNothing, verifyPassword } from './passwords.js';
import { csrfTokenOf, hashSecret, newSecret } from './session-tokens.js';
import { useTotpCode } from './totp.js';

/** A started session: the secret goes into the cookie, the CSRF token into every write's header. */
export interface StartedSession {
  secret: string;
  csrfToken: string;
  expiresAt: number;
  operator: Operator;
}

/**
 * Logs an operator in with email, password and (when 2FA is on) a TOTP code. Failures are throttled
 * per email and per client, audited without content, and answer alike for unknown emails and wrong
 * passwords. `client` is the throttle's salted hash of the IP, never the IP.
 */
export async function logIn(
  ctx: Context,
  input: { email: string; password: string; totp?: string | undefined; client: string },
): Promise<StartedSession> {
  const attempt = { target: await operatorEmailIndex(ctx.store, input.email), client: input.client };
  // Counted before the first await of the password check, so parallel guesses meet the limit too.
  const retryAfterMs = ctx.loginThrottle.begin(attempt);
  if (retryAfterMs > 0) {
    throw new AppError('too_many_attempts', 'Too many failed logins; wait and try again', {
      retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
    });
  }
  const record = await findLoginRecord(ctx.store, input.email);
  const now = ctx.clock.now();
  const fail = async (code: 'invalid_credentials' | 'totp_invalid', message: string): Promise<never> => {
    await insertAuditEntry(ctx.database.db, {
      accountId: record?.operator.accountId ?? null,
      // Whoever tried is unknown: the entry names the operator whose login failed as its target only.
      actorKind: 'operator',
      actorId: null,
      action: 'auth.login-failed',
      targetKind: 'operator',
      targetIds: record ? [record.operator.id] : [],
      at: now,
    });
    throw new AppError(code, message);
  };
  if (!record) {
    await verifyAgainstNothing(input.password);
    return fail('invalid_credentials', 'Wrong email or password');
  }
  // The password is checked for disabled operators too, so the answer's timing does not tell them apart.
  const passwordRight = await verifyPassword(record.passwordHash, input.password);
  if (!passwordRight || record.operator.disabledAt !== null) {
    return fail('invalid_credentials', 'Wrong email or password');
  }
  if (record.operator.totpEnabled) {
    if (!input.totp)
      throw new AppError('totp_required', 'This operator has two-factor login on; send the 6-digit code as totp');
    if (
      !record.totpSecret ||
      !(await useTotpCode(ctx, {
        accountId: record.operator.accountId,
        operatorId: record.operator.id,
        secret: record.totpSecret,
        code: input.totp,
        now,
      }))
    ) {
      return fail('totp_invalid', 'The two-factor code is wrong or expired');
    }
  }
  ctx.loginThrottle.succeeded(attempt);
  return startSession(ctx, record.operator);
}

/**
 * Starts a session of an operator whose credentials were checked (a login, an accepted invitation):
 * a new secret, stored as its hash, and an `auth.logged-in` audit entry.
 */
export async function startSession(ctx: Context, operator: Operator): Promise<StartedSession> {
  const now = ctx.clock.now();
  const secret = newSecret('pls_');
  const expiresAt = now + ctx.config.sessionTtlMinutes * 60_000;
  await insertSession(ctx.database.db, {
    id: hashSecret(secret),
    accountId: operator.accountId,
    operatorId: operator.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
  });
  await insertAuditEntry(ctx.database.db, {
    accountId: operator.accountId,
    actorKind: 'operator',
    actorId: operator.id,
    action: 'auth.logged-in',
    targetKind: 'operator',
    targetIds: [operator.id],
    at: now,
  });
  return { secret, csrfToken: csrfTokenOf(secret), expiresAt, operator };
}
