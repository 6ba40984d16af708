import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExportDocument } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { createContext, type Context } from '../../context.js';
import { createAccount } from '../../domain/accounts/create-account.js';
import { sendAttachment } from '../../domain/attachments/send-attachment.js';
import { identifyVisitor } from '../../domain/contacts/identify-visitor.js';
import { sendMessage } from '../../domain/conversations/send-message.js';
import { startConversation } from '../../domain/conversations/start-conversation.js';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { createInstallation, jsonOf, type Installation } from '../../test-support/cluster.js';
import { seedAnotherVisitor } from '../../test-support/fixtures.js';
import { testDialect } from '../../test-support/test-context.js';
import { PNG, readZip } from '../../test-support/zip.js';

describe(`plauder export (${testDialect})`, { timeout: 120_000 }, () => {
  let installation: Installation;
  let dataDir: string;
  beforeEach(async () => {
    installation = await createInstallation({ dialect: testDialect });
    dataDir = installation.newDataDir();
  });
  afterEach(async () => {
    await installation.cleanup();
  });

  /** Works on the installation's database as its CLI does, then closes. */
  async function withInstallation<T>(work: (ctx: Context) => Promise<T>): Promise<T> {
    const ctx = await createContext(
      loadConfig({
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        PLAUDER_MASTER_KEY: installation.masterKey,
        ...(installation.databaseUrl ? { DATABASE_URL: installation.databaseUrl } : {}),
      }),
    );
    try {
      return await work(ctx);
    } finally {
      await ctx.close();
    }
  }

  /** An account with a contact (by email) whose conversation holds a marked message and an image. */
  function seed() {
    return withInstallation(async (ctx) => {
      const created = await createAccount(ctx, {
        name: 'Acme',
        plan: 'standard',
        owner: { email: 'owner@acme.test', displayName: 'Owner', password: 'correct horse battery' },
        actor: { kind: 'cli', id: null },
      });
      const { accountId } = created;
      const visitor = await seedAnotherVisitor(ctx, { accountId, widgetId: created.widget.id });
      const { conversationId } = await startConversation(ctx, { visitor, consent: { version: 'en-1' } });
      const author = { kind: 'visitor' as const, accountId, visitorId: visitor.visitorId };
      const markerText = `MARKER-${randomBytes(6).toString('hex')}`;
      await sendMessage(ctx, { author, conversationId, clientMessageId: randomUUID(), body: markerText });
      const data = { fileName: 'scan.png', data: PNG, clientMessageId: randomUUID() };
      const sent = await sendAttachment(ctx, { author, conversationId, ...data });
      const email = 'ada@example.test';
      const { contactId } = await identifyVisitor(ctx, { visitor, conversationId, name: 'Ada', email });
      return { accountId, contactId, conversationId, email, markerText, attachmentId: sent.attachment.id };
    });
  }

  it('writes a contact’s archive by id or email, prints its counts, and audits it', async () => {
    const s = await seed();
    const byId = path.join(dataDir, 'by-id.zip');
    const run = await installation.cli(
      ['export', '--account', s.accountId, '--contact', s.contactId, '--out', byId, '--json'],
      dataDir,
    );
    expect(jsonOf(run)).toEqual({ file: byId, contacts: 1, conversations: 1, messages: 2, attachments: 1 });
    const files = await readZip(readFileSync(byId));
    const document = ExportDocument.parse(JSON.parse(files.get('export.json')!.toString('utf8')));
    expect(document.contacts).toEqual([expect.objectContaining({ id: s.contactId, email: s.email })]);
    expect(document.conversations[0]?.messages[0]?.text).toBe(s.markerText);
    expect(files.get(`attachments/${s.conversationId}/${s.attachmentId}-scan.png`)?.equals(PNG)).toBe(true);

    const byEmail = path.join(dataDir, 'by-email.zip');
    const plain = await installation.cli(
      ['export', '--account', s.accountId, '--email', 'ADA@example.test', '--out', byEmail],
      dataDir,
    );
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(`file: ${byEmail}\n`);
    expect(plain.stdout).toMatch(/^conversations: 1$/m);
    expect(plain.stdout).toMatch(/^messages: 2$/m);
    expect((await readZip(readFileSync(byEmail))).get('export.json')!.toString('utf8')).toContain(s.markerText);

    const entries = await withInstallation((ctx) =>
      listAuditEntries(ctx.database.db, { accountId: s.accountId, limit: 2 }),
    );
    expect(entries.map((e) => [e.action, e.actorKind, e.targetIds, e.count])).toEqual([
      ['contact.exported', 'cli', [s.contactId, s.conversationId], 2],
      ['contact.exported', 'cli', [s.contactId, s.conversationId], 2],
    ]);
  });

  it('refuses an existing file, an unknown contact or account, and a subject named twice, writing nothing', async () => {
    const s = await seed();
    const taken = path.join(dataDir, 'taken.zip');
    writeFileSync(taken, 'keep me');
    // Each run its own new file: they run at once, and none of them may leave one behind.
    const fresh = (name: string) => path.join(dataDir, `${name}.zip`);
    const cases: [string[], RegExp][] = [
      [['--contact', s.contactId, '--out', taken], /taken\.zip exists already; choose another --out or remove it/],
      [['--email', 'nobody@example.test', '--out', fresh('nobody')], /No contact with this email in this account/],
      [['--contact', randomUUID(), '--out', fresh('unknown')], /No contact with id [0-9a-f-]+ in this account/],
      [
        ['--contact', s.contactId, '--email', s.email, '--out', fresh('both')],
        /exactly one of --contact ID and --email/,
      ],
      [['--email', 'not-an-email', '--out', fresh('bad')], /--email is not an email address/],
      [
        ['--account', randomUUID(), '--contact', s.contactId, '--out', fresh('account')],
        /^plauder: No account with id [0-9a-f-]+; plauder account list shows them\n$/,
      ],
    ];
    const runs = await Promise.all(
      cases.map(([args]) => installation.cli(['export', '--account', s.accountId, ...args], dataDir)),
    );
    runs.forEach((run, i) => {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(cases[i]![1]);
    });
    expect(readFileSync(taken, 'utf8')).toBe('keep me');
    for (const name of ['nobody', 'unknown', 'both', 'bad', 'account']) expect(existsSync(fresh(name))).toBe(false);
  });
});
