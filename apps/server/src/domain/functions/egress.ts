import type { OptionalFunction } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { countEgressRefusal } from '../../storage/egress-repository.js';
import { activeFunctions } from './account-functions.js';
import { FUNCTIONS } from './registry.js';

/** How long one outbound call may take, to its last byte, unless the caller asks for less. */
const CALL_TIMEOUT_MS = 15_000;

/** Raised, having sent nothing, for an outbound call the egress guard refused; logged and counted. */
export class EgressRefusedError extends Error {
  constructor(
    readonly accountId: string,
    readonly fn: OptionalFunction,
    readonly host: string,
    readonly reason: 'function_inactive' | 'host_not_declared',
  ) {
    super(
      reason === 'function_inactive'
        ? `Refused a call to ${host}: ${fn} does not run for this account (off, not in its plan, or not set up)`
        : `Refused a call to ${host}: no processor of ${fn} for this account is declared there`,
    );
    this.name = 'EgressRefusedError';
  }
}

/**
 * The hosts an optional function of an account may call: those its processor declares (the mail
 * server, the translation service; the account's own endpoints for webhooks).
 */
export function allowedHosts(ctx: Context, fn: OptionalFunction): readonly string[] {
  return FUNCTIONS[fn].processor(ctx.config).hosts;
}

/**
 * The egress guard: every outbound call of an optional function asks it first. It lets a call through
 * only while the function runs for the account (activeFunctions) and to a host its processor
 * declares; otherwise it sends nothing, logs the refusal (account, function, host: never content),
 * counts it (`egress_refusals`, shown by the privacy report) and throws EgressRefusedError.
 */
export async function checkEgress(
  ctx: Context,
  input: { accountId: string; fn: OptionalFunction; host: string; hosts?: readonly string[] },
): Promise<void> {
  const active = await activeFunctions(ctx, ctx.database.db, input.accountId);
  const hosts = input.hosts ?? allowedHosts(ctx, input.fn);
  const reason = !active.has(input.fn)
    ? 'function_inactive'
    : !hosts.includes(input.host)
      ? 'host_not_declared'
      : undefined;
  if (reason === undefined) return;
  const refused = new EgressRefusedError(input.accountId, input.fn, input.host, reason);
  ctx.logger.warn(
    { accountId: input.accountId, function: input.fn, host: input.host, reason },
    'Refused an outbound call of an optional function',
  );
  await countEgressRefusal(ctx.database.db, {
    accountId: input.accountId,
    fn: input.fn,
    host: input.host,
    at: ctx.clock.now(),
  });
  throw refused;
}

/**
 * An HTTP call of an optional function through the egress guard (checkEgress): redirects are not
 * followed (a redirect could lead to a host no processor declares), and the call ends after
 * CALL_TIMEOUT_MS at most.
 */
export async function fetchThroughGuard(
  ctx: Context,
  input: {
    accountId: string;
    fn: OptionalFunction;
    url: string;
    init?: RequestInit;
    /** The hosts the call may go to, when the function's processor declares them per account. */
    hosts?: readonly string[];
    timeoutMs?: number;
  },
): Promise<Response> {
  const url = new URL(input.url);
  await checkEgress(ctx, {
    accountId: input.accountId,
    fn: input.fn,
    host: url.host,
    ...(input.hosts ? { hosts: input.hosts } : {}),
  });
  return fetch(url, {
    ...input.init,
    redirect: 'manual',
    signal: AbortSignal.timeout(input.timeoutMs ?? CALL_TIMEOUT_MS),
  });
}
