import { randomUUID } from 'node:crypto';
import type { MessageDto, VisitorServerFrame } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createContext } from '../context.js';
import { createAccount } from '../domain/accounts/create-account.js';
import { openDatabase, type DialectName } from '../storage/database.js';
import {
  createInstallation,
  openVisitor,
  startVisitorSession,
  type Installation,
  type ServerNode,
} from '../test-support/cluster.js';
import type { SocketClient } from '../test-support/socket-client.js';

type Visitor = SocketClient<VisitorServerFrame>;
type Ack = Extract<VisitorServerFrame, { type: 'message.ack' }>;

/** Visitors streaming at once, each in a conversation of their own: 300 messages in all. */
const VISITORS = 12;
/**
 * Messages per visitor. A socket may send 30 frames at once (then 10 a second): the start and 25
 * messages, and after the restart a resume, 2 + at most 25 resends and a resume, all fit in one burst.
 * No frame is ever rate limited, however slow the machine: a `rate_limited` one would store nothing
 * while the next ones are stored, and reorder the stream.
 */
const MESSAGES_PER_VISITOR = 25;
/** How many frames a stream sends ahead of its acks. */
const IN_FLIGHT = 4;
/** The node is killed once this many acks have arrived, while the rest are still being stored. */
const KILL_AFTER_ACKS = 100;
/** How long the first KILL_AFTER_ACKS acks may take, in milliseconds. */
const STREAM_TIMEOUT_MS = 20_000;

interface Planned {
  clientMessageId: string;
  body: string;
}

/** One visitor's side of the stream: their token, conversation, socket, and messages in the order sent. */
interface Stream {
  token: string;
  conversationId: string;
  planned: Planned[];
  window: Visitor;
}

const acksOf = (window: Visitor): Ack[] => window.frames.filter((f): f is Ack => f.type === 'message.ack');

const dialects: DialectName[] = process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

for (const dialect of dialects) {
  describe(`a server killed while visitors stream messages (${dialect})`, { timeout: 60_000 }, () => {
    let installation: Installation;
    let dataDir: string;
    let publicKey: string;
    const windows: Visitor[] = [];

    beforeEach(async () => {
      // Embedded means the in-process bus; PostgreSQL runs with Redis when the run has one, as in production.
      installation = await createInstallation({ dialect, redis: dialect === 'postgres' });
      dataDir = installation.newDataDir();
      // Made in-process, not with the CLI: one process start less keeps the SQLite suite quick.
      const ctx = await createContext(
        loadConfig({
          DATA_DIR: dataDir,
          LOG_LEVEL: 'silent',
          PLAUDER_MASTER_KEY: installation.masterKey,
          ...(installation.databaseUrl ? { DATABASE_URL: installation.databaseUrl } : {}),
        }),
      );
      try {
        const created = await createAccount(ctx, {
          name: 'Acme',
          plan: 'standard',
          owner: { email: 'owner@acme.test', displayName: 'Owner', password: 'correct horse battery' },
          actor: { kind: 'cli', id: null },
        });
        publicKey = created.widget.publicKey;
      } finally {
        await ctx.close();
      }
    });
    afterEach(async () => {
      for (const window of windows.splice(0)) window.close();
      await installation?.cleanup();
    });

    async function visitor(node: ServerNode, token: string): Promise<Visitor> {
      const window = await openVisitor(node, token);
      windows.push(window);
      return window;
    }

    /**
     * Sends a stream's messages in order, at most IN_FLIGHT ahead of their acks, until the socket
     * closes; answers how many were sent.
     */
    async function stream(s: Stream): Promise<number> {
      for (const [index, message] of s.planned.entries()) {
        while (index - acksOf(s.window).length >= IN_FLIGHT && s.window.closeCode === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        if (s.window.ws.readyState !== s.window.ws.OPEN) return index;
        s.window.send({ type: 'message.send', conversationId: s.conversationId, ...message });
      }
      return s.planned.length;
    }

    /** Sends `messages` in order, at once. */
    function send(window: Visitor, conversationId: string, messages: Planned[]): void {
      for (const message of messages) window.send({ type: 'message.send', conversationId, ...message });
    }

    /**
     * The conversation as the visitor's `resume` replays it from the start, in seq order. A live
     * `message.created` of a message just stored may come among the replayed ones, so a seq seen twice
     * must be the same message both times.
     */
    async function transcript(window: Visitor, conversationId: string): Promise<MessageDto[]> {
      const from = window.frames.length;
      window.send({ type: 'resume', conversationId, sinceSeq: 0 });
      const resumed = await window.next('resumed', (f) => f.conversationId === conversationId, from);
      const bySeq = new Map<number, MessageDto>();
      for (const frame of window.frames.slice(from, window.frames.indexOf(resumed))) {
        if (frame.type !== 'message.created' || frame.message.conversationId !== conversationId) continue;
        const seen = bySeq.get(frame.message.seq);
        if (seen) expect(frame.message).toEqual(seen);
        else bySeq.set(frame.message.seq, frame.message);
      }
      const replayed = [...bySeq.values()].sort((x, y) => x.seq - y.seq);
      expect(resumed.lastSeq).toBe(replayed.at(-1)?.seq ?? 0);
      return replayed;
    }

    it('keeps every acknowledged message exactly once and in order, and stores the unacknowledged ones when resent', async () => {
      const node = await installation.startNode({ dataDir });

      const streams = await Promise.all(
        Array.from({ length: VISITORS }, async (_, v): Promise<Stream> => {
          const { token } = await startVisitorSession(node, publicKey);
          const window = await visitor(node, token);
          const ref = randomUUID();
          window.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
          const { conversationId } = await window.next('conversation.started', (f) => f.ref === ref);
          const planned = Array.from({ length: MESSAGES_PER_VISITOR }, (_, i) => ({
            clientMessageId: randomUUID(),
            body: `visitor ${v} message ${i}`,
          }));
          return { token, conversationId, planned, window };
        }),
      );

      // Every window streams at once, a few frames ahead of its acks, so that the node works on all
      // of them when it dies.
      const streaming = Promise.all(streams.map((s) => stream(s)));
      const totalAcks = () => streams.reduce((n, s) => n + acksOf(s.window).length, 0);
      const deadline = Date.now() + STREAM_TIMEOUT_MS;
      while (totalAcks() < KILL_AFTER_ACKS) {
        if (Date.now() > deadline) throw new Error(`Only ${totalAcks()} acks; the node said:\n${node.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await node.kill();
      await Promise.all(streams.map((s) => s.window.closed()));
      const sent = (await streaming).reduce((n, count) => n + count, 0);

      const before = new Map(streams.map((s) => [s, new Map(acksOf(s.window).map((a) => [a.clientMessageId, a]))]));
      for (const s of streams) {
        expect(s.window.frames.filter((f) => f.type === 'error')).toEqual([]);
        // Messages of one socket are stored in order: the acked ones are the first ones sent.
        const acked = [...before.get(s)!.keys()];
        expect(acked).toEqual(s.planned.slice(0, acked.length).map((m) => m.clientMessageId));
      }
      // The kill came mid-stream: frames were in flight, and some were never sent.
      const acked = streams.reduce((n, s) => n + before.get(s)!.size, 0);
      expect(acked).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(sent).toBeGreaterThan(acked);
      expect(sent).toBeLessThan(VISITORS * MESSAGES_PER_VISITOR);

      const restarted = await installation.startNode({ dataDir, port: node.port });
      await Promise.all(
        streams.map(async (s) => {
          const ackedBefore = before.get(s)!;
          // The same visitor token: it outlives the process that signed it.
          const window = await visitor(restarted, s.token);
          const stored = await transcript(window, s.conversationId);
          // What survived is a prefix of the stream, the acknowledged part at least.
          expect(stored.length).toBeGreaterThanOrEqual(ackedBefore.size);
          for (const [index, message] of stored.entries()) {
            expect(message).toMatchObject({ seq: index + 1, body: s.planned[index]!.body, authorKind: 'visitor' });
          }
          for (const ack of ackedBefore.values()) expect(stored[ack.seq - 1]?.id).toBe(ack.messageId);

          // Resent: every message without an ack, and a few with one (those must store nothing).
          const ackedList = s.planned.filter((m) => ackedBefore.has(m.clientMessageId));
          const again = ackedList.length > 0 ? [ackedList[0]!, ackedList.at(-1)!] : [];
          const unacked = s.planned.filter((m) => !ackedBefore.has(m.clientMessageId));
          const from = window.frames.length;
          send(window, s.conversationId, [...again, ...unacked]);
          const resentAcks = new Map<string, Ack>();
          for (const message of [...again, ...unacked]) {
            const ack = await window.next('message.ack', (f) => f.clientMessageId === message.clientMessageId, from);
            resentAcks.set(message.clientMessageId, ack);
          }
          expect(window.frames.slice(from).filter((f) => f.type === 'error')).toEqual([]);
          for (const message of again) {
            const first = ackedBefore.get(message.clientMessageId)!;
            expect(resentAcks.get(message.clientMessageId)).toMatchObject({
              seq: first.seq,
              messageId: first.messageId,
            });
          }

          const final = await transcript(window, s.conversationId);
          expect(final.map((m) => m.seq)).toEqual(s.planned.map((_, i) => i + 1));
          expect(final.map((m) => m.body)).toEqual(s.planned.map((m) => m.body));
          const ackOf = (m: Planned) => ackedBefore.get(m.clientMessageId) ?? resentAcks.get(m.clientMessageId)!;
          expect(final.map((m) => ({ id: m.id, seq: m.seq }))).toEqual(
            s.planned.map((m) => ({ id: ackOf(m).messageId, seq: ackOf(m).seq })),
          );
        }),
      );

      // The database holds each message once, under the seq its ack named: nothing more was stored.
      const database = openDatabase({ databaseUrl: installation.databaseUrl, dataDir });
      try {
        const rows = await database.db
          .selectFrom('messages')
          .select(['conversation_id', 'client_message_id', 'seq'])
          .where(
            'conversation_id',
            'in',
            streams.map((s) => s.conversationId),
          )
          .orderBy('conversation_id')
          .orderBy('seq')
          .execute();
        expect(rows).toHaveLength(VISITORS * MESSAGES_PER_VISITOR);
        for (const s of streams) {
          expect(
            rows.filter((r) => r.conversation_id === s.conversationId).map((r) => [r.client_message_id, r.seq]),
          ).toEqual(s.planned.map((m, i) => [m.clientMessageId, i + 1]));
        }
      } finally {
        await database.close();
      }
    });
  });
}
