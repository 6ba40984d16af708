import { createEndpoint } from '../deliveries/webhook-endpoints.js';
import { queueDeliveries } from '../deliveries/queue-deliveries.js';
import { setAccountFunction } from '../functions/account-functions.js';
import { checkEgress } from '../functions/egress.js';
import { assignPlan, setPlan } from '../functions/plans.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../context.js';
import { purgeAccountsJob } from '../../jobs/purge-accounts.js';
import { jobDefinitions } from '../../jobs/registry.js';
import { runJobsNow } from '../../jobs/worker.js';
import {
  ACCOUNT_PURGE_ORDER,
  CONVERSATION_TABLES,
  INSTALLATION_TABLES,
  accountFilesPrefix,
} from '../../storage/account-purge-repository.js';
import { conversationFilesPrefix } from '../../storage/attachments-repository.js';
import { dataMap } from '../../storage/data-map.js';
import { insertInvitation } from '../../storage/invitations-repository.js';
import { insertJob } from '../../storage/jobs-repository.js';
import { listMessages } from '../../storage/messages-repository.js';
import { insertSession } from '../../storage/sessions-repository.js';
import { seedAnotherVisitor } from '../../test-support/fixtures.js';
import { findRaw, rawDatabase } from '../../test-support/raw-database.js';
import { allRollups } from '../../test-support/table-snapshots.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { createApiToken } from '../api-tokens/api-tokens.js';
import { sendAttachment } from '../attachments/send-attachment.js';
import { createCannedResponse } from '../canned-responses/create-canned-response.js';
import { identifyVisitor } from '../contacts/identify-visitor.js';
import { eraseConversation } from '../conversations/erase-conversation.js';
import { sendMessage } from '../conversations/send-message.js';
import { startConversation } from '../conversations/start-conversation.js';
import { connectOperator } from '../operators/connect-operator.js';
import type { Principal } from '../principal.js';
import { createAccount } from './create-account.js';
import { purgeAccount } from './purge-account.js';
import { terminateAccount } from './terminate-account.js';

const DAY_MS = 24 * 60 * 60 * 1000;
// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** An account with a row in every table that has an `account_id`, a file, and marker strings. */
interface SeededAccount {
  accountId: string;
  conversationId: string;
  /** Its name: a plain column, so the raw scan finds it while the account exists. */
  nameMarker: string;
  messageMarker: string;
  contactMarker: string;
  files: string[];
}

const marker = (what: string) => `MARKER-${what}-${randomBytes(6).toString('hex')}`;

async function seedAccount(ctx: Context, label: string): Promise<SeededAccount> {
  const nameMarker = marker(`${label}-name`);
  const created = await createAccount(ctx, {
    name: nameMarker,
    plan: 'standard',
    owner: { email: `owner-${randomUUID()}@${label}.test`, displayName: 'Owner', password: 'correct horse battery' },
    actor: { kind: 'cli', id: null },
  });
  const { accountId } = created;
  const owner: Principal = { kind: 'operator', accountId, operatorId: created.owner.id, role: 'owner', sessionId: 's' };
  const now = ctx.clock.now();
  const visitor = await seedAnotherVisitor(ctx, { accountId, widgetId: created.widget.id });
  const author = { kind: 'visitor' as const, accountId, visitorId: visitor.visitorId };
  const { conversationId } = await startConversation(ctx, { visitor, consent: { version: 'en-1' } });
  const messageMarker = marker(`${label}-message`);
  await sendMessage(ctx, { author, conversationId, clientMessageId: randomUUID(), body: `${messageMarker} 4711` });
  await sendAttachment(ctx, { author, conversationId, clientMessageId: randomUUID(), fileName: 'a.png', data: PNG });
  const contactMarker = marker(`${label}-contact`);
  await identifyVisitor(ctx, { visitor, conversationId, name: contactMarker });
  const erased = await startConversation(ctx, { visitor, consent: { version: 'en-1' } });
  await eraseConversation(ctx, { conversationId: erased.conversationId, by: owner });
  await connectOperator(ctx, { accountId, operatorId: created.owner.id, socketId: randomUUID() });
  await insertSession(ctx.database.db, {
    id: randomUUID(),
    accountId,
    operatorId: created.owner.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + DAY_MS,
  });
  await createApiToken(ctx, { by: owner, name: 'Integration', scope: 'read' });
  await createCannedResponse(ctx, { by: owner, shortcut: 'hi', title: 'Hello', body: 'Hello there' });
  await setPlan(ctx, { name: 'with-webhooks', functions: ['webhooks'] });
  await assignPlan(ctx, { accountId, plan: 'with-webhooks' });
  await setAccountFunction(ctx, { by: owner, fn: 'webhooks', change: { enabled: true } });
  // An endpoint (public as production wants it: the name resolves here, without DNS) and a delivery to it.
  await createEndpoint(ctx, {
    by: owner,
    body: { url: `https://hooks.${label}.example/in` },
    resolve: () => Promise.resolve(['93.184.216.34']),
  });
  await queueDeliveries(ctx, { accountId, event: 'conversation.started', conversationId });
  // A call the egress guard refuses (email is not in the plan) is counted in the account.
  await expect(checkEgress(ctx, { accountId, fn: 'email', host: 'mail.example.test' })).rejects.toThrow(/Refused/);
  await insertInvitation(ctx.store, {
    accountId,
    email: `invitee-${randomUUID()}@${label}.test`,
    role: 'operator',
    tokenHash: randomUUID(),
    createdBy: created.owner.id,
    now,
    expiresAt: now + DAY_MS,
  });
  await insertJob(ctx.database.db, {
    id: randomUUID(),
    name: 'test-account-job',
    payload: '{}',
    accountId,
    runAt: now + 3650 * DAY_MS,
    now,
    unit: 'items',
  });
  // A file under the account's prefix that no row names, as an export might leave.
  const loose = `${accountFilesPrefix(accountId)}exports/${randomUUID()}`;
  await ctx.fileStore.put(loose, Buffer.from('sealed export'));
  const attachments = await ctx.database.db
    .selectFrom('attachments')
    .select('storage_key')
    .where('account_id', '=', accountId)
    .execute();
  return {
    accountId,
    conversationId,
    nameMarker,
    messageMarker,
    contactMarker,
    files: [loose, ...attachments.map((a) => a.storage_key)],
  };
}

/**
 * How many rows of the account each table with an `account_id` holds (and the words of its
 * conversations' search index), and whether its `accounts` row is there.
 */
async function rowsOf(ctx: Context, accountId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ACCOUNT_PURGE_ORDER) {
    const { rows } = await sql<{ n: number | string }>`
      select count(*) as n from ${sql.table(table)} where account_id = ${accountId}
    `.execute(ctx.database.db);
    counts[table] = Number(rows[0]?.n ?? 0);
  }
  const { rows } = await sql<{ n: number | string }>`
    select count(*) as n from conversation_tokens
    where conversation_id in (select id from conversations where account_id = ${accountId})
  `.execute(ctx.database.db);
  counts.conversation_tokens = Number(rows[0]?.n ?? 0);
  const account = await ctx.database.db.selectFrom('accounts').select('id').where('id', '=', accountId).execute();
  counts.accounts = account.length;
  return counts;
}

describe(`purgeAccount and the purge-accounts job (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const terminate = (accountId: string) => terminateAccount(t.ctx, { by: { kind: 'cli', accountId }, graceDays: 30 });
  const runPurge = () => runJobsNow(t.ctx, { definitions: [purgeAccountsJob] });

  const raw = () => rawDatabase(t);

  /** The account's ciphertexts as stored (message bodies, file names, contact names) and its wrapped keys. */
  async function sealedBytesOf(accountId: string): Promise<Buffer[]> {
    const bodies = await db()
      .selectFrom('messages')
      .select('body_sealed')
      .where('account_id', '=', accountId)
      .execute();
    const names = await db()
      .selectFrom('attachments')
      .select('file_name_sealed')
      .where('account_id', '=', accountId)
      .execute();
    const contacts = await db()
      .selectFrom('contacts')
      .select('name_sealed')
      .where('account_id', '=', accountId)
      .execute();
    const keys = await db().selectFrom('keyring').select('wrapped_key').where('account_id', '=', accountId).execute();
    return [
      ...bodies.map((b) => b.body_sealed),
      ...names.map((n) => n.file_name_sealed),
      ...contacts.flatMap((c) => (c.name_sealed ? [c.name_sealed] : [])),
      ...keys.flatMap((k) => (k.wrapped_key ? [k.wrapped_key] : [])),
    ];
  }

  it('leaves no row, file, key, ciphertext or marker of the account after its grace period, and the other account as it was', async () => {
    const doomed = await seedAccount(t.ctx, 'doomed');
    const other = await seedAccount(t.ctx, 'other');
    const before = await rowsOf(t.ctx, doomed.accountId);
    const unfilled = Object.entries(before).filter(([, n]) => n === 0);
    expect(unfilled, 'the seed fills every table of the account, so the purge is tested on each').toEqual([]);
    const otherRows = await rowsOf(t.ctx, other.accountId);
    const otherRollups = async () => (await allRollups(db())).filter((row) => row.account_id === other.accountId);
    const rollupsBefore = await otherRollups();
    expect(rollupsBefore.length).toBeGreaterThan(0);
    const doomedSealed = await sealedBytesOf(doomed.accountId);
    const otherSealed = await sealedBytesOf(other.accountId);
    // Bodies, a file name, a contact name, and the keys of the account, its owner, contact and conversation.
    expect(doomedSealed.length).toBeGreaterThanOrEqual(6);
    const rawBefore = raw();
    expect(rawBefore.includes(doomed.nameMarker), 'the scan sees plain columns').toBe(true);
    expect(findRaw(rawBefore, doomedSealed), 'the scan sees every ciphertext and wrapped key').toHaveLength(
      doomedSealed.length,
    );

    await terminate(doomed.accountId);
    t.clock.advance(30 * DAY_MS - 1);
    await runPurge();
    expect((await rowsOf(t.ctx, doomed.accountId)).accounts, 'still in its grace period').toBe(1);

    t.clock.advance(2 * 60 * 60 * 1000);
    await runPurge();

    const after = await rowsOf(t.ctx, doomed.accountId);
    expect(after).toEqual({
      ...Object.fromEntries(ACCOUNT_PURGE_ORDER.map((table) => [table, 0])),
      conversation_tokens: 0,
      erasure_records: 1,
      audit_log: 1,
      accounts: 0,
    });
    // Its conversations are gone, so words of theirs left behind would belong to no conversation.
    const orphans = await db()
      .selectFrom('conversation_tokens')
      .select('conversation_id')
      .where('conversation_id', 'not in', db().selectFrom('conversations').select('id'))
      .execute();
    expect(orphans).toEqual([]);
    expect(
      await db()
        .selectFrom('erasure_records')
        .select(['subject_kind', 'subject_id', 'reason'])
        .where('account_id', '=', doomed.accountId)
        .execute(),
    ).toEqual([{ subject_kind: 'account', subject_id: doomed.accountId, reason: 'account purge after termination' }]);
    const audit = await db()
      .selectFrom('audit_log')
      .select(['actor_kind', 'actor_id', 'action', 'target_kind', 'target_ids'])
      .where('account_id', '=', doomed.accountId)
      .execute();
    expect(audit).toEqual([
      {
        actor_kind: 'system',
        actor_id: null,
        action: 'account.purged',
        target_kind: 'account',
        target_ids: JSON.stringify([doomed.accountId]),
      },
    ]);
    expect(await db().selectFrom('keyring').select('id').where('subject_id', '=', doomed.accountId).execute()).toEqual(
      [],
    );
    for (const file of doomed.files) expect(await t.ctx.fileStore.get(file), file).toBeUndefined();
    const rawAfter = raw();
    expect(findRaw(rawAfter, [doomed.nameMarker, doomed.messageMarker, doomed.contactMarker])).toEqual([]);
    expect(findRaw(rawAfter, doomedSealed), 'no ciphertext or wrapped key of the account is left').toEqual([]);
    expect(rawAfter.includes(other.nameMarker), "the other account's name is still there").toBe(true);
    expect(findRaw(rawAfter, otherSealed), "the other account's ciphertexts and keys are still there").toHaveLength(
      otherSealed.length,
    );

    expect(await rowsOf(t.ctx, other.accountId)).toEqual(otherRows);
    expect(await otherRollups()).toEqual(rollupsBefore);
    for (const file of other.files) expect(await t.ctx.fileStore.get(file), file).toBeDefined();
    const [message] = await listMessages(t.ctx.store, {
      accountId: other.accountId,
      conversationId: other.conversationId,
    });
    expect(message?.body).toBe(`${other.messageMarker} 4711`);
    const [run] = await db()
      .selectFrom('jobs')
      .select(['status', 'result'])
      .where('name', '=', 'purge-accounts')
      .orderBy('created_at', 'desc')
      .execute();
    expect(run?.status).toBe('done');
    expect(JSON.parse(run?.result ?? '{}')).toMatchObject({ accounts: 1, files: doomed.files.length });
  });

  it('goes on where a killed run stopped: the key is gone at once, the rows on the next run', async () => {
    const doomed = await seedAccount(t.ctx, 'doomed');
    await terminate(doomed.accountId);
    const before = await rowsOf(t.ctx, doomed.accountId);
    t.clock.advance(31 * DAY_MS);
    let batches = 0;
    const killed = purgeAccount(t.ctx, {
      accountId: doomed.accountId,
      batchSize: 2,
      afterBatch: async () => {
        batches += 1;
        if (batches === 3) throw new Error('killed');
      },
    });
    await expect(killed).rejects.toThrow('killed');
    const halfway = await rowsOf(t.ctx, doomed.accountId);
    expect(halfway.accounts).toBe(1);
    expect(halfway.conversation_tokens).toBeLessThan(before.conversation_tokens ?? 0);
    expect(halfway.operators).toBe(before.operators);
    const accountKey = await db()
      .selectFrom('keyring')
      .select('wrapped_key')
      .where('kind', '=', 'account')
      .where('subject_id', '=', doomed.accountId)
      .executeTakeFirstOrThrow();
    expect(accountKey.wrapped_key).toBeNull();

    await runPurge();

    expect(await rowsOf(t.ctx, doomed.accountId)).toMatchObject({ accounts: 0, messages: 0, keyring: 0, audit_log: 1 });
    expect(await purgeAccount(t.ctx, { accountId: doomed.accountId })).toEqual({ purged: false, rows: 0, files: 0 });
  });

  it('never purges an active account', async () => {
    const active = await seedAccount(t.ctx, 'active');
    const before = await rowsOf(t.ctx, active.accountId);
    t.clock.advance(400 * DAY_MS);
    await runPurge();
    expect(await rowsOf(t.ctx, active.accountId)).toEqual(before);
  });

  it('covers every table: each one with an account_id is purged, every other is declared installation-wide', () => {
    const purged: readonly string[] = ACCOUNT_PURGE_ORDER;
    const installation: readonly string[] = INSTALLATION_TABLES;
    const throughConversations: readonly string[] = CONVERSATION_TABLES;
    for (const [table, columns] of Object.entries(dataMap)) {
      if (table === 'accounts') continue;
      if ('account_id' in columns) expect(purged, `${table} has an account_id`).toContain(table);
      else if ('conversation_id' in columns)
        expect(throughConversations, `${table} has no account_id`).toContain(table);
      else expect(installation, `${table} has no account_id`).toContain(table);
    }
    expect(conversationFilesPrefix({ accountId: 'a1', conversationId: 'c1' })).toMatch(
      new RegExp(`^${accountFilesPrefix('a1')}`),
    );
    expect(jobDefinitions.map((d) => d.name)).toContain('purge-accounts');
    expect(purgeAccountsJob.schedule).toBe('23 * * * *');
  });
});
