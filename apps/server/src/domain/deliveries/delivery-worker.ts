import nodemailer, { type Transporter } from 'nodemailer';
import type { Context } from '../../context.js';
import {
  claimDeliveries,
  deleteFinishedDeliveries,
  endDeliveryAttempt,
  renewDeliveryHold,
  type DeliveryRow,
} from '../../storage/deliveries-repository.js';
import { findEndpoint, selectEndpoints } from '../../storage/webhook-endpoints-repository.js';
import { activeFunctions } from '../functions/account-functions.js';
import { checkEgress, EgressRefusedError, postThroughGuard } from '../functions/egress.js';
import { DeliverySubjectGoneError, emailContent, webhookBody } from './delivery-content.js';
import { onDeliveriesQueued } from './queue-deliveries.js';
import { signatureHeader, webhookSecret } from './webhook-secret.js';

/** Attempts before a delivery counts as failed: webhooks retry for about an hour, email for about 15 minutes. */
export const MAX_ATTEMPTS: Readonly<Record<DeliveryRow['function'], number>> = { webhooks: 8, email: 6 };
/** The first retry waits this long, each further one twice as long, up to MAX_BACKOFF_MS. */
export const FIRST_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 60 * 60_000;
/**
 * How long a node holds a claimed delivery before another node may take it; renewed right before each
 * attempt, so it needs to outlast one attempt only (the calls' timeouts are 10 to 15 s per step).
 */
const LEASE_MS = 120_000;
/** Finished deliveries stay in the log this long. */
export const DELIVERY_LOG_DAYS = 30;

/** The wait before attempt `attempts + 1`, after `attempts` failed ones: 30 s, 1 min, 2 min, … 1 h. */
export function backoffMs(attempts: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

/** An attempt that reached its receiver and was turned down, with the receiver's code. */
class AttemptFailedError extends Error {
  constructor(
    readonly code: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'AttemptFailedError';
  }
}

export interface DeliveryWorkerOptions {
  /** This node's name in `locked_by`; default the context's node id. */
  nodeId?: string;
  /** How often to look for due deliveries; default JOBS_POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
  /** Deliveries claimed and sent at once. */
  batch?: number;
  /** How long a webhook call may take, to its last byte. */
  webhookTimeoutMs?: number;
  /** How long the mail server may take to accept a connection, greet, and answer each command. */
  smtpTimeoutMs?: number;
}

/**
 * Sends the queued deliveries of the optional functions on one node: emails through the mail server
 * (SMTP_URL) and webhook calls to the accounts' endpoints, each through the egress guard. Before each
 * attempt it checks again that the function runs for the account (so turning one off stops what is
 * queued at once) and reads what it sends from the database (so an erased conversation sends nothing).
 * A failed attempt is retried with backoff (backoffMs) up to MAX_ATTEMPTS; each attempt's end is the
 * delivery log.
 */
export class DeliveryWorker {
  private readonly nodeId: string;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<number> | undefined;
  private again = false;
  private stopping = false;
  private mail: Transporter | undefined;
  private lastLogPurge = 0;

  constructor(
    private readonly ctx: Context,
    private readonly options: DeliveryWorkerOptions = {},
  ) {
    this.nodeId = options.nodeId ?? ctx.nodeId;
  }

  /** Starts polling, and polls at once whenever this node queues deliveries. */
  start(): void {
    const interval = this.options.pollIntervalMs ?? this.ctx.config.jobsPollIntervalMs;
    this.timer = setInterval(() => this.wake(), interval);
    this.timer.unref();
    onDeliveriesQueued(this.ctx, () => this.wake());
    this.wake();
  }

  /** Stops polling and waits for the deliveries being sent. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    onDeliveriesQueued(this.ctx, undefined);
    await this.polling;
    this.mail?.close();
  }

  private wake(): void {
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.drain()
      .catch((error: unknown) => {
        this.ctx.logger.error({ err: error }, 'Delivery poll failed');
        return 0;
      })
      .finally(() => {
        this.polling = undefined;
        if (this.again && !this.stopping) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Sends due deliveries, batch after batch, until none is due; answers how many were attempted. */
  async drain(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const sent = await this.poll();
      attempted += sent;
      if (sent === 0 || this.stopping) return attempted;
    }
  }

  /** Claims one batch of due deliveries and attempts each; answers how many. */
  async poll(): Promise<number> {
    const { ctx } = this;
    const now = ctx.clock.now();
    await this.purgeLog(now);
    const rows = await claimDeliveries(ctx.database.db, {
      nodeId: this.nodeId,
      now,
      leaseMs: LEASE_MS,
      limit: this.options.batch ?? 20,
    });
    // One call at a time per endpoint (and per account's mail), the targets side by side.
    const byTarget = new Map<string, DeliveryRow[]>();
    for (const row of rows) {
      const target = row.endpoint_id ?? `email:${row.account_id}`;
      byTarget.set(target, [...(byTarget.get(target) ?? []), row]);
    }
    // Settled, each: stop() waits for every call under way, not only until the first failure.
    const results = await Promise.allSettled(
      [...byTarget.values()].map(async (group) => {
        // A stopping node leaves the rest to the next claim, once its hold has run out.
        for (const row of group) if (!this.stopping) await this.attempt(row);
      }),
    );
    for (const result of results) {
      if (result.status === 'rejected') ctx.logger.error({ err: result.reason }, 'A delivery attempt failed to end');
    }
    return rows.length;
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const { ctx } = this;
    const log = { deliveryId: row.id, accountId: row.account_id, function: row.function, event: row.event };
    const end = async (
      status: DeliveryRow['status'],
      code: number | null,
      error: string | null,
      nextAttemptAt?: number,
    ) => {
      const held = await endDeliveryAttempt(ctx.database.db, {
        id: row.id,
        nodeId: this.nodeId,
        status,
        code,
        error,
        now: ctx.clock.now(),
        ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
      });
      if (!held) ctx.logger.warn({ ...log, status }, 'A delivery attempt ended after this node lost its hold');
    };
    // When the calls before this one to its target took so long that the hold ran out, another node
    // may have claimed the delivery and makes the attempt: sending here as well would deliver it twice.
    const now = ctx.clock.now();
    if (!(await renewDeliveryHold(ctx.database.db, { id: row.id, nodeId: this.nodeId, now, leaseMs: LEASE_MS }))) {
      ctx.logger.warn(log, 'A delivery was left to another node: its hold ran out before the attempt');
      return;
    }
    try {
      const active = await activeFunctions(ctx, ctx.database.db, row.account_id);
      if (!active.has(row.function)) {
        await end('cancelled', null, `${row.function} no longer runs for the account (off, or not in its plan)`);
        return;
      }
      const code = row.function === 'webhooks' ? await this.sendWebhook(row) : await this.sendEmail(row);
      await end('delivered', code, null);
    } catch (error) {
      if (error instanceof DeliverySubjectGoneError || error instanceof EgressRefusedError) {
        await end('cancelled', null, error.message);
        return;
      }
      const code = error instanceof AttemptFailedError ? error.code : smtpCode(error);
      const reason = describeFailure(error);
      if (row.attempts >= MAX_ATTEMPTS[row.function]) {
        ctx.logger.warn({ ...log, attempts: row.attempts, reason }, 'A delivery failed for good');
        await end('failed', code, reason);
      } else {
        await end('pending', code, reason, ctx.clock.now() + backoffMs(row.attempts));
      }
    }
  }

  /** One webhook call: signed, through the guard, to the endpoint as it is now; answers the HTTP status. */
  private async sendWebhook(row: DeliveryRow): Promise<number> {
    const { ctx } = this;
    const endpoint = await findEndpoint(ctx.database.db, { accountId: row.account_id, id: row.endpoint_id ?? '' });
    if (!endpoint) throw new DeliverySubjectGoneError('The webhook endpoint');
    if (!endpoint.enabled) throw new DeliverySubjectGoneError('The webhook endpoint (paused)');
    const body = await webhookBody(ctx, row);
    const secret = await webhookSecret(ctx.store, {
      accountId: row.account_id,
      endpointId: endpoint.id,
      version: endpoint.secretVersion,
    });
    const timestamp = Math.floor(ctx.clock.now() / 1000);
    // The guard lets a call through to the account's own endpoints only.
    const hosts = (await selectEndpoints(ctx.database.db, row.account_id)).map((e) => new URL(e.url).host);
    const response = await postThroughGuard(ctx, {
      accountId: row.account_id,
      fn: 'webhooks',
      url: endpoint.url,
      body,
      hosts,
      refusePrivate: ctx.config.webhookPrivateAddresses === 'refuse',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Plauder-Webhooks/1',
        'plauder-event': row.event,
        'plauder-delivery': row.id,
        'plauder-signature': signatureHeader(secret, timestamp, body),
      },
      ...(this.options.webhookTimeoutMs === undefined ? {} : { timeoutMs: this.options.webhookTimeoutMs }),
      maxBody: 1024,
    });
    if (response.status < 200 || response.status > 299) {
      throw new AttemptFailedError(response.status, `The endpoint answered ${response.status}`);
    }
    return response.status;
  }

  /** One email through the mail server, through the guard; answers the server's reply code. */
  private async sendEmail(row: DeliveryRow): Promise<number> {
    const { ctx } = this;
    const email = ctx.config.email;
    if (!email) throw new DeliverySubjectGoneError('The mail server setting');
    const server = new URL(email.url);
    await checkEgress(ctx, { accountId: row.account_id, fn: 'email', host: server.host });
    const content = await emailContent(ctx, row);
    if (content.to.length === 0) throw new DeliverySubjectGoneError('Every recipient address');
    const info = await this.transport().sendMail({
      from: email.from,
      to: content.to,
      subject: content.subject,
      text: content.text,
      ...(content.replyTo ? { replyTo: content.replyTo } : {}),
      headers: { 'X-Plauder-Delivery': row.id },
    });
    return smtpCode(info) ?? 250;
  }

  private transport(): Transporter {
    if (this.mail) return this.mail;
    const email = this.ctx.config.email;
    if (!email) throw new Error('No mail server is set up');
    const url = new URL(email.url);
    const timeout = this.options.smtpTimeoutMs ?? 15_000;
    this.mail = nodemailer.createTransport({
      host: url.hostname,
      port: url.port === '' ? (url.protocol === 'smtps:' ? 465 : 587) : Number(url.port),
      secure: url.protocol === 'smtps:',
      // Personal data goes over TLS only: smtp:// must upgrade with STARTTLS, except to this machine.
      requireTLS: url.protocol === 'smtp:' && !isLoopbackHost(url.hostname),
      ...(url.username
        ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
        : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      dnsTimeout: timeout,
    });
    return this.mail;
  }

  /** Removes finished deliveries older than DELIVERY_LOG_DAYS, at most once an hour per node. */
  private async purgeLog(now: number): Promise<void> {
    if (now - this.lastLogPurge < 60 * 60_000) return;
    this.lastLogPurge = now;
    await deleteFinishedDeliveries(this.ctx.database.db, now - DELIVERY_LOG_DAYS * 86_400_000);
  }
}

/** The SMTP reply code an error or an answer of nodemailer carries, if any. */
function smtpCode(value: unknown): number | null {
  if (typeof value !== 'object' || value === null) return null;
  if ('responseCode' in value && typeof value.responseCode === 'number') return value.responseCode;
  if ('response' in value && typeof value.response === 'string') {
    const match = /^(\d{3})/.exec(value.response);
    if (match) return Number(match[1]);
  }
  return null;
}

/** Whether a mail server named so is this machine, where mail may go without TLS. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** A mail server's reply may quote the recipients, quoted local parts too: the log keeps no address. */
function withoutAddresses(text: string): string {
  return text.replace(/(?:"[^"]*"|[^\s<>"',;:@]+)@[^\s<>"',;:@]+/g, '[address]').slice(0, 300);
}

/** Why an attempt failed, in one line without content: a status, an SMTP reply, a network error's code. */
function describeFailure(error: unknown): string {
  if (error instanceof AttemptFailedError) return error.message;
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? `${error.code}: ` : '';
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'No answer in time';
    return withoutAddresses(`${code}${error.message}`);
  }
  return withoutAddresses(String(error));
}
