import { generateSecret, generateURI, verify } from 'otplib';
import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { claimTotpStep, getOperator, getTotpSecret, setTotp } from '../../storage/operators-repository.js';
import { deleteSessions } from '../../storage/sessions-repository.js';
import { AppError } from '../errors.js';
import type { Principal } from '../principal.js';

/** The TOTP time step, in seconds (RFC 6238's default, what authenticator apps use). */
const STEP_SECONDS = 30;

/**
 * Checks a 6-digit code of an operator, allowing one step of clock drift, and spends it: each code
 * works once (a code seen on the wire or over a shoulder cannot be replayed within its window).
 */
export async function useTotpCode(
  ctx: Context,
  input: { accountId: string; operatorId: string; secret: string; code: string; now: number },
): Promise<boolean> {
  const epoch = Math.floor(input.now / 1000);
  let matchedStep: number;
  try {
    const result = await verify({ secret: input.secret, token: input.code, epoch, epochTolerance: STEP_SECONDS });
    if (!result.valid) return false;
    matchedStep = Math.floor(epoch / STEP_SECONDS) + result.delta;
  } catch {
    return false;
  }
  return claimTotpStep(ctx.database.db, {
    accountId: input.accountId,
    operatorId: input.operatorId,
    step: matchedStep,
  });
}

/** Starts 2FA enrollment: stores a new secret (sealed, not yet on) and returns it with its otpauth URI. */
export async function beginTotpSetup(
  ctx: Context,
  input: { by: Principal & { kind: 'operator' } },
): Promise<{ secret: string; uri: string }> {
  const operator = await getOperator(ctx.store, { accountId: input.by.accountId, operatorId: input.by.operatorId });
  if (!operator) throw new AppError('unauthenticated', 'This operator no longer exists');
  if (operator.totpEnabled)
    throw new AppError('conflict', 'Two-factor login is on already; turn it off first to renew it');
  const secret = generateSecret();
  await setTotp(ctx.store, {
    accountId: operator.accountId,
    operatorId: operator.id,
    secret,
    enabled: false,
    now: ctx.clock.now(),
  });
  return { secret, uri: generateURI({ issuer: 'Plauder', label: operator.email, secret }) };
}

/** Turns 2FA on once the operator proves the authenticator app works with one code. */
export async function enableTotp(
  ctx: Context,
  input: { by: Principal & { kind: 'operator' }; code: string },
): Promise<void> {
  const where = { accountId: input.by.accountId, operatorId: input.by.operatorId };
  const secret = await getTotpSecret(ctx.store, where);
  if (!secret) throw new AppError('conflict', 'Start with POST /api/v1/auth/totp/setup');
  const now = ctx.clock.now();
  if (!(await useTotpCode(ctx, { ...where, secret, code: input.code, now })))
    throw new AppError('totp_invalid', 'The two-factor code is wrong or expired');
  await setTotp(ctx.store, { ...where, secret, enabled: true, now });
  await insertAuditEntry(ctx.database.db, {
    ...where,
    actorKind: 'operator',
    actorId: where.operatorId,
    action: 'auth.totp-enabled',
    targetKind: 'operator',
    targetIds: [where.operatorId],
    at: now,
  });
}

/** Turns 2FA off with a current code; every session of the operator ends, this one too. */
export async function disableTotp(
  ctx: Context,
  input: { by: Principal & { kind: 'operator' }; code: string },
): Promise<void> {
  const where = { accountId: input.by.accountId, operatorId: input.by.operatorId };
  const secret = await getTotpSecret(ctx.store, where);
  const operator = await getOperator(ctx.store, where);
  if (!secret || !operator?.totpEnabled) throw new AppError('conflict', 'Two-factor login is not on');
  const now = ctx.clock.now();
  if (!(await useTotpCode(ctx, { ...where, secret, code: input.code, now })))
    throw new AppError('totp_invalid', 'The two-factor code is wrong or expired');
  await setTotp(ctx.store, { ...where, secret: null, enabled: false, now });
  await deleteSessions(ctx.database.db, { operatorId: where.operatorId });
  await insertAuditEntry(ctx.database.db, {
    ...where,
    actorKind: 'operator',
    actorId: where.operatorId,
    action: 'auth.totp-disabled',
    targetKind: 'operator',
    targetIds: [where.operatorId],
    at: now,
  });
}
