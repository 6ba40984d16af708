import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { timeOrderedUuid } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../context.js';
import { seedSceneAccount, seedSceneConversation, type SceneAccount } from '../../domain/erasure/test-scene.js';
import { deleteConversationsJob } from '../../jobs/delete-conversations.js';
import { JOB_LEASE_MS, runJobsNow } from '../../jobs/worker.js';
import { insertConversation } from '../../storage/conversations-repository.js';
import { listMessages, sealMessageBody } from '../../storage/messages-repository.js';
import { tokensOf } from '../../storage/search-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { insertVisitor } from '../../storage/widgets-repository.js';
import { createTestContext, TestClock, testDialect, type TestContext } from '../../test-support/test-context.js';
import { instantOf } from './delete.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const entry = path.join(root, 'apps/server/src/cli/run.ts');
const DAY_MS = 24 * 60 * 60 * 1000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a CLI run on the test's installation: its DATA_DIR (SQLite and the master key
 * file), or on PostgreSQL its database with the test's schema first in the search path, and its key.
 */
function cliEnv(t: TestContext, masterKey: string | undefined): NodeJS.ProcessEnv {
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: t.dataDir, LOG_LEVEL: 'warn' };
  const url = process.env.DATABASE_URL;
  if (t.schema === undefined || url === undefined) return base;
  const options = `options=${encodeURIComponent(`-c search_path=${t.schema}`)}`;
  return { ...base, DATABASE_URL: `${url}${url.includes('?') ? '&' : '?'}${options}`, PLAUDER_MASTER_KEY: masterKey };
}

function startCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, env, stdio: 'pipe' });
}

function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `conversations` closed conversations of `messages` sealed messages each (10 search tokens a message), fast. */
async function seedMany(
  ctx: Context,
  input: { account: SceneAccount; conversations: number; messages: number },
): Promise<string[]> {
  const { accountId, widgetId } = input.account;
  const now = ctx.clock.now();
  const ids: string[] = [];
  for (let c = 0; c < input.conversations; c++) {
    await inTransaction(ctx.store, async (tx) => {
      const visitorId = await insertVisitor(tx.db, { accountId, widgetId, now });
      const conversationId = await insertConversation(tx, { accountId, widgetId, visitorId, now });
      const key = await tx.keyring.subjectKey(tx.db, { accountId, kind: 'conversation', subjectId: conversationId });
      const messages = Array.from({ length: input.messages }, (_, i) => {
        const id = timeOrderedUuid(now);
        return {
          id,
          account_id: accountId,
          conversation_id: conversationId,
          seq: i + 1,
          client_message_id: randomUUID(),
          author_kind: 'visitor' as const,
          operator_id: null,
          kind: 'text' as const,
          body_sealed: sealMessageBody(key, `Message ${i} of ${conversationId}`, { accountId, messageId: id }),
          created_at: now,
          search_tokens: Buffer.concat(Array.from({ length: 10 }, () => randomBytes(16))),
        };
      });
      await tx.db.insertInto('messages').values(messages).execute();
      const tokens = messages.flatMap((m) =>
        tokensOf(m.search_tokens).map((token) => ({ conversation_id: conversationId, token })),
      );
      for (let i = 0; i < tokens.length; i += 500)
        await tx.db
          .insertInto('conversation_tokens')
          .values(tokens.slice(i, i + 500))
          .execute();
      await tx.db
        .updateTable('conversations')
        .set({ last_seq: input.messages, status: 'closed', closed_at: now })
        .where('id', '=', conversationId)
        .execute();
      ids.push(conversationId);
    });
  }
  return ids;
}

describe(`plauder delete (${testDialect})`, { timeout: 180_000 }, () => {
  let t: TestContext;
  let masterKey: string | undefined;
  let acme: SceneAccount;
  beforeEach(async () => {
    masterKey = testDialect === 'postgres' ? randomBytes(32).toString('base64') : undefined;
    // A day ago: the command line runs on the real clock, and deletes what was created before it starts.
    t = await createTestContext({
      clock: new TestClock(Date.now() - DAY_MS),
      ...(masterKey ? { env: { PLAUDER_MASTER_KEY: masterKey } } : {}),
    });
    acme = await seedSceneAccount(t.ctx, 'Acme');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const plauder = (args: string[]) => finished(startCli(args, cliEnv(t, masterKey)));

  it('counts with --dry-run, erases with --yes and prints what it erased', async () => {
    await seedSceneConversation(t.ctx, { account: acme, rating: 1, messages: 3 });
    const kept = await seedSceneConversation(t.ctx, { account: acme, rating: 5 });

    const dry = await plauder(['delete', '--account', acme.accountId, '--rating', '1', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({ conversations: 1, messages: 3 });

    const yes = await plauder(['delete', '--account', acme.accountId, '--rating', '1', '--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toMatch(/^status: done$/m);
    expect(yes.stdout).toMatch(/^conversations: 1$/m);
    expect(yes.stdout).toMatch(/^messages: 3$/m);
    expect((await db().selectFrom('conversations').select('id').execute()).map((c) => c.id)).toEqual([
      kept.conversationId,
    ]);
    const audit = await db()
      .selectFrom('audit_log')
      .select(['action', 'actor_kind'])
      .where('action', '=', 'deletion.started')
      .execute();
    expect(audit).toEqual([{ action: 'deletion.started', actor_kind: 'cli' }]);
  });

  it('refuses neither or both of --dry-run and --yes, a filter-less run, a bad date and an unknown account', async () => {
    await seedSceneConversation(t.ctx, { account: acme, close: true });
    const account = ['delete', '--account', acme.accountId];
    const cases: [string[], RegExp][] = [
      [[...account, '--all'], /--dry-run .* or --yes/],
      [[...account, '--all', '--dry-run', '--yes'], /not both/],
      [[...account, '--yes'], /no criterion.*all/],
      [[...account, '--all', '--widget', acme.widgetId, '--dry-run'], /cannot be combined/],
      [[...account, '--after', 'yesterday', '--dry-run'], /--after must be an ISO date/],
      [[...account, '--after', '2026-02-01', '--before', '2026-01-01', '--dry-run'], /must be after/],
      [[...account, '--rating', 'six', '--dry-run'], /--rating/],
      [['delete', '--account', randomUUID(), '--all', '--dry-run'], /No account with id/],
    ];
    for (const [args, message] of cases) {
      const run = await plauder(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
    expect(await db().selectFrom('conversations').select('id').execute()).toHaveLength(1);
  });

  it('reads ISO dates as midnight UTC and date-times as UTC unless they name a zone', () => {
    expect(instantOf('2026-01-31', '--after')).toBe(Date.UTC(2026, 0, 31));
    expect(instantOf('2026-01-31T10:30', '--after')).toBe(Date.UTC(2026, 0, 31, 10, 30));
    expect(instantOf('2026-01-31T10:30:00+02:00', '--after')).toBe(Date.UTC(2026, 0, 31, 8, 30));
    expect(() => instantOf('31.01.2026', '--before')).toThrow(/--before must be an ISO date/);
  });

  it('leaves every conversation whole or gone when killed mid-job, and a worker resumes and finishes it', async () => {
    const beta = await seedSceneAccount(t.ctx, 'Beta');
    const theirs = await seedSceneConversation(t.ctx, { account: beta, close: true });
    const ids = await seedMany(t.ctx, { account: acme, conversations: 400, messages: 40 });

    const child = startCli(['delete', '--account', acme.accountId, '--all', '--yes'], cliEnv(t, masterKey));
    const run = finished(child);
    const job = () => db().selectFrom('jobs').selectAll().where('name', '=', 'delete-conversations').executeTakeFirst();
    for (let waited = 0; !((await job())?.progress_done ?? 0); waited += 20) {
      if (waited > 120_000) throw new Error('The command line never reported progress');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await run;

    const killed = await job();
    expect(killed?.status).toBe('running');
    const left = (
      await db().selectFrom('conversations').select('id').where('account_id', '=', acme.accountId).execute()
    ).map((c) => c.id);
    expect(left.length, 'killed partway').toBeGreaterThan(0);
    expect(left.length, 'killed partway').toBeLessThan(ids.length);
    const orphans = await db()
      .selectFrom('messages')
      .select('id')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('conversations').select('id').whereRef('conversations.id', '=', 'messages.conversation_id'),
          ),
        ),
      )
      .execute();
    expect(orphans).toEqual([]);
    const liveKeys = await db()
      .selectFrom('keyring')
      .select('subject_id')
      .where('kind', '=', 'conversation')
      .where('wrapped_key', 'is not', null)
      .where('subject_id', 'in', ids)
      .execute();
    expect(liveKeys.map((k) => k.subject_id).sort()).toEqual([...left].sort());
    const counts = await db()
      .selectFrom('messages')
      .select((eb) => ['conversation_id', eb.fn.countAll<number | string>().as('n')])
      .where('conversation_id', 'in', left)
      .groupBy('conversation_id')
      .execute();
    expect(counts.map((c) => Number(c.n))).toEqual(left.map(() => 40));
    for (const conversationId of left.slice(0, 3)) {
      const messages = await listMessages(t.ctx.store, { accountId: acme.accountId, conversationId });
      expect(messages[0]?.body).toBe(`Message 0 of ${conversationId}`);
    }
    const records = await db()
      .selectFrom('erasure_records')
      .select('subject_id')
      .where('subject_kind', '=', 'conversation')
      .execute();
    expect(records.length).toBe(ids.length - left.length);

    // Past the dead run's lease, any worker takes the job over.
    t.clock.advance(Date.now() + JOB_LEASE_MS + 1000 - t.clock.now());
    await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });

    expect(await job()).toMatchObject({ status: 'done', progress_total: ids.length });
    expect(await db().selectFrom('conversations').select('id').execute()).toEqual([{ id: theirs.conversationId }]);
    expect(await db().selectFrom('messages').select('conversation_id').distinct().execute()).toEqual([
      { conversation_id: theirs.conversationId },
    ]);
    const destroyed = await db()
      .selectFrom('keyring')
      .select('subject_id')
      .where('subject_id', 'in', ids)
      .where('wrapped_key', 'is', null)
      .execute();
    expect(destroyed).toHaveLength(ids.length);
  });
});
