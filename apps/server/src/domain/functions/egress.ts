import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { OptionalFunction } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { countEgressRefusal } from '../../storage/egress-repository.js';
import { activeFunctions } from './account-functions.js';
import { hostAddress, isPrivateAddress } from './private-addresses.js';
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

/** How an HTTP call through the guard ended: its status, its body cut to `maxBody` bytes. */
export interface GuardedResponse {
  status: number;
  body: Buffer;
}

/**
 * A POST of an optional function through the egress guard (checkEgress), on node:http, so that the
 * address it connects to can be checked as it connects: with `refusePrivate`, a host that is or
 * resolves to a private, loopback or link-local address fails the call (`EPRIVATEADDRESS`) before a
 * byte is sent, also when its DNS changed since the URL was checked. No redirect is followed; the
 * call ends after `timeoutMs` (CALL_TIMEOUT_MS by default), to its last byte.
 */
export async function postThroughGuard(
  ctx: Context,
  input: {
    accountId: string;
    fn: OptionalFunction;
    url: string;
    body: string;
    headers: Record<string, string>;
    hosts?: readonly string[];
    refusePrivate: boolean;
    timeoutMs?: number;
    maxBody?: number;
  },
): Promise<GuardedResponse> {
  const url = new URL(input.url);
  await checkEgress(ctx, {
    accountId: input.accountId,
    fn: input.fn,
    host: url.host,
    ...(input.hosts ? { hosts: input.hosts } : {}),
  });
  const literal = hostAddress(url);
  if (input.refusePrivate && isIP(literal) !== 0 && isPrivateAddress(literal)) throw privateAddressError(literal);
  const maxBody = input.maxBody ?? 64 * 1024;
  return new Promise<GuardedResponse>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...input.headers, 'content-length': String(Buffer.byteLength(input.body)) },
        signal: AbortSignal.timeout(input.timeoutMs ?? CALL_TIMEOUT_MS),
        ...(input.refusePrivate ? { lookup: publicOnlyLookup } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) });
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk.subarray(0, maxBody - size));
          size += chunk.length;
          // Enough read: the rest is not waited for (a receiver may stream without end).
          if (size >= maxBody) {
            done();
            response.destroy();
          }
        });
        response.on('end', done);
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(input.body);
  });
}

function privateAddressError(address: string): Error {
  return Object.assign(new Error(`Refused to connect to ${address}, a private, loopback or link-local address`), {
    code: 'EPRIVATEADDRESS',
  });
}

/** dns.lookup for node:http that fails on any private, loopback or link-local address among the answers. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const refused = addresses.find((entry) => isPrivateAddress(entry.address));
    if (refused) return callback(privateAddressError(refused.address), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
    callback(null, first.address, first.family);
  });
};
