import { newClientMessageId } from '@plauder/protocol';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { cpuMs, sleep } from './relay-processes.js';
import { frameText, type Target } from './relay-sockets.js';

/** What one round of load did: latencies of the messages sent in its window, rates and CPU use. */
export interface RoundResult {
  /** Visitor → operator latency of every message sent inside the measured window, in ms. */
  readonly latenciesMs: number[];
  /** Messages acknowledged inside the window, per second. */
  readonly ackedPerS: number;
  /** Messages that reached an operator while the round was sending, per second. */
  readonly deliveredPerS: number;
  /** Messages acknowledged while the round was sending, per second. */
  readonly ackedWhileSendingPerS: number;
  readonly sent: number;
  /** Error frames by code (each errored message was sent again 250 ms later). */
  readonly errors: ReadonlyMap<string, number>;
  /** Messages an operator received more than once. */
  readonly duplicates: number;
  /** CPU used while sending, as a share of one core: the server child and this (client) process. */
  readonly serverCpu: number;
  readonly clientCpu: number;
  /** How long the server needed after the last send until every message was acked and delivered, ms. */
  readonly drainMs: number;
}

interface Phase {
  closedLoop: boolean;
  sending: boolean;
  windowStart: number;
  windowEnd: number;
  sendEnd: number;
  sent: number;
  acked: number;
  ackedInWindow: number;
  ackedWhileSending: number;
  delivered: number;
  deliveredWhileSending: number;
  duplicates: number;
  seen: Set<number>;
  latenciesMs: number[];
  errors: Map<string, number>;
}

/** The p-th percentile (0 < p ≤ 100) of a non-empty list, by the nearest-rank method. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('The percentile of no values is undefined');
  const sorted = [...values].sort((a, b) => a - b);
  // Safe: the rank is clamped to the list.
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

/**
 * Drives a target's visitor sockets with `message.send` frames and times each message from the send
 * to its arrival on the operator socket, in this process (one clock). The body carries the send time
 * and a sequence number, padded to `bodyChars`. Either open loop (paced at a fixed total rate, round
 * robin over the visitors) or closed loop (each visitor sends its next message when the previous one
 * was acked). A message that gets an error frame is sent again, with the same clientMessageId, 250 ms later.
 */
export class LoadDriver {
  private phase: Phase | undefined;
  /** Per visitor: the frames sent and not yet acked, by clientMessageId, oldest first. */
  private readonly outstanding: Map<string, string>[];
  private readonly padding: string;

  constructor(
    private readonly target: Target,
    options: { bodyChars: number },
  ) {
    this.outstanding = target.visitors.map(() => new Map<string, string>());
    this.padding = 'x'.repeat(options.bodyChars);
    target.visitors.forEach((visitor, index) =>
      visitor.ws.on('message', (data: WebSocket.RawData) => this.onVisitorFrame(index, frameText(data))),
    );
    for (const ws of target.operators)
      ws.on('message', (data: WebSocket.RawData) => this.onOperatorFrame(frameText(data)));
  }

  /** Open loop: `ratePerS` messages a second for `warmupMs` + `measureMs`, then waits for every message. */
  async paced(options: { ratePerS: number; warmupMs: number; measureMs: number; drainTimeoutMs: number }) {
    const phase = this.begin({ closedLoop: false, ...options });
    const started = performance.now();
    const totalMs = options.warmupMs + options.measureMs;
    const cpu = this.cpuMeter();
    let paced = 0;
    let next = 0;
    await new Promise<void>((resolve) => {
      // One timer for all sockets; a late tick sends what fell due meanwhile, as a real crowd would.
      const timer = setInterval(() => {
        const elapsed = Math.min(performance.now() - started, totalMs);
        const due = Math.floor((elapsed * options.ratePerS) / 1000) - paced;
        for (let k = 0; k < due; k++) {
          this.send(next);
          next = (next + 1) % this.target.visitors.length;
        }
        paced += Math.max(0, due);
        if (elapsed >= totalMs) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    return this.finish(phase, { cpu: cpu(), drainTimeoutMs: options.drainTimeoutMs });
  }

  /** Closed loop: every visitor keeps one message in flight for `warmupMs` + `measureMs`. */
  async closedLoop(options: { warmupMs: number; measureMs: number; drainTimeoutMs: number }) {
    const phase = this.begin({ closedLoop: true, ...options });
    const cpu = this.cpuMeter();
    for (let i = 0; i < this.target.visitors.length; i++) this.send(i);
    await sleep(options.warmupMs + options.measureMs);
    return this.finish(phase, { cpu: cpu(), drainTimeoutMs: options.drainTimeoutMs });
  }

  private begin(options: { closedLoop: boolean; warmupMs: number; measureMs: number }): Phase {
    const now = performance.now();
    this.phase = {
      closedLoop: options.closedLoop,
      sending: true,
      windowStart: now + options.warmupMs,
      windowEnd: now + options.warmupMs + options.measureMs,
      sendEnd: Number.POSITIVE_INFINITY,
      sent: 0,
      acked: 0,
      ackedInWindow: 0,
      ackedWhileSending: 0,
      delivered: 0,
      deliveredWhileSending: 0,
      duplicates: 0,
      seen: new Set(),
      latenciesMs: [],
      errors: new Map(),
    };
    return this.phase;
  }

  /** Measures CPU from now; the returned function gives server and client CPU as shares of one core. */
  private cpuMeter(): () => { server: number; client: number; sendingMs: number } {
    const started = performance.now();
    const server = cpuMs(this.target.child.pid);
    const client = process.cpuUsage();
    return () => {
      const wallMs = performance.now() - started;
      const clientUsed = process.cpuUsage(client);
      return {
        server: (cpuMs(this.target.child.pid) - server) / wallMs,
        client: (clientUsed.user + clientUsed.system) / 1000 / wallMs,
        sendingMs: wallMs,
      };
    };
  }

  private async finish(
    phase: Phase,
    options: { cpu: { server: number; client: number; sendingMs: number }; drainTimeoutMs: number },
  ): Promise<RoundResult> {
    phase.sending = false;
    phase.sendEnd = performance.now();
    const drainStarted = performance.now();
    const deadline = drainStarted + options.drainTimeoutMs;
    while (phase.acked < phase.sent || phase.delivered - phase.duplicates < phase.sent) {
      if (performance.now() > deadline) {
        const codes = [...phase.errors].map(([code, n]) => `${code} ×${n}`).join(', ') || 'none';
        throw new Error(
          `${this.target.name}: ${options.drainTimeoutMs} ms after the last send, ${phase.sent - phase.acked} of ` +
            `${phase.sent} messages are not acked and ${phase.sent - (phase.delivered - phase.duplicates)} not ` +
            `delivered (error frames: ${codes})`,
        );
      }
      await sleep(10);
    }
    const drainMs = performance.now() - drainStarted;
    this.phase = undefined;
    const windowS = (phase.windowEnd - phase.windowStart) / 1000;
    return {
      latenciesMs: phase.latenciesMs,
      ackedPerS: phase.ackedInWindow / windowS,
      deliveredPerS: phase.deliveredWhileSending / (options.cpu.sendingMs / 1000),
      ackedWhileSendingPerS: phase.ackedWhileSending / (options.cpu.sendingMs / 1000),
      sent: phase.sent,
      errors: phase.errors,
      duplicates: phase.duplicates,
      serverCpu: options.cpu.server,
      clientCpu: options.cpu.client,
      drainMs,
    };
  }

  private send(index: number): void {
    const phase = this.phase;
    const visitor = this.target.visitors[index];
    if (!phase || !visitor) return;
    const clientMessageId = newClientMessageId();
    const sentAt = performance.now();
    const head = `${sentAt.toFixed(3)} ${phase.sent} `;
    const body = head + this.padding.slice(head.length);
    const frame = JSON.stringify({
      type: 'message.send',
      conversationId: visitor.conversationId,
      clientMessageId,
      body,
    });
    // Safe: `outstanding` has one map per visitor, and `visitor` exists at this index.
    this.outstanding[index]!.set(clientMessageId, frame);
    phase.sent++;
    visitor.ws.send(frame);
  }

  private onVisitorFrame(index: number, data: string): void {
    const phase = this.phase;
    if (!phase) return;
    const frame = this.target.visitorFrame(data);
    if (frame.kind === 'other') return;
    // Safe: frames come only from the visitor sockets, one map each, by the index they were wired with.
    const outstanding = this.outstanding[index]!;
    // An ack without a ref is for the oldest message: a socket's frames are answered in order.
    const ref = frame.ref ?? (outstanding.size > 0 ? outstanding.keys().next().value : undefined);
    if (frame.kind === 'error') {
      phase.errors.set(frame.code, (phase.errors.get(frame.code) ?? 0) + 1);
      // A refused frame (rate_limited) carries no ref; it is the oldest one unless the socket has several.
      const resend = ref === undefined ? undefined : outstanding.get(ref);
      if (ref !== undefined && resend !== undefined && (frame.ref !== undefined || outstanding.size === 1)) {
        setTimeout(() => {
          if (outstanding.has(ref)) this.target.visitors[index]?.ws.send(resend);
        }, 250);
      }
      return;
    }
    if (ref === undefined || !outstanding.delete(ref)) return;
    phase.acked++;
    const now = performance.now();
    if (now >= phase.windowStart && now < phase.windowEnd) phase.ackedInWindow++;
    if (phase.sending) phase.ackedWhileSending++;
    if (phase.closedLoop && phase.sending) this.send(index);
  }

  private onOperatorFrame(data: string): void {
    const phase = this.phase;
    if (!phase) return;
    const body = this.target.operatorBody(data);
    if (body === undefined) return;
    const now = performance.now();
    const [sentAtText, seqText] = body.split(' ', 2);
    const sentAt = Number(sentAtText);
    const seq = Number(seqText);
    phase.delivered++;
    if (phase.seen.has(seq)) {
      phase.duplicates++;
      return;
    }
    phase.seen.add(seq);
    if (now <= phase.sendEnd) phase.deliveredWhileSending++;
    if (sentAt >= phase.windowStart && sentAt < phase.windowEnd) phase.latenciesMs.push(now - sentAt);
  }
}
