import { randomBytes, randomUUID } from 'node:crypto';
import { PrivacyReportDto, type PrivacyReportLineDto } from '@plauder/protocol';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepRetentionJob } from '../../jobs/sweep-retention.js';
import { runJobsNow } from '../../jobs/worker.js';
import { recordBackup } from '../../storage/backup-status-repository.js';
import { countEgressRefusal } from '../../storage/egress-repository.js';
import { masterKeyCreatedAt, recordMasterKeyCreatedOnce } from '../../storage/master-key-record.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { seedSceneAccount, seedSceneConversation, type SceneAccount } from '../erasure/test-scene.js';
import { setAccountFunction } from '../functions/account-functions.js';
import { assignPlan, setPlan } from '../functions/plans.js';
import { rotateMasterKey } from '../keys/rotate-master-key.js';
import { purgeIpAddresses } from '../retention/purge-ip-addresses.js';
import { retentionCutoff } from '../retention/sweep-retention.js';
import { getInstallationPrivacyReport } from './privacy-report.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** A mail server as an installation sets it up (nothing is sent here). */
const MAIL = { SMTP_URL: 'smtp://mail.example.test:2525', SMTP_FROM: 'chat@example.test', SMTP_COUNTRY: 'DE' };

describe(`the privacy report (${testDialect})`, () => {
  let t: TestContext;
  let acme: SceneAccount;
  let globex: SceneAccount;
  /**
   * An installation in a declared region (its servers, on PostgreSQL, declared in it too) with daily
   * backups on (the test default turns them off), and two accounts.
   */
  async function start(env: Record<string, string> = { BACKUP_TIME: '03:00', DATA_REGION: 'eu-central' }) {
    t = await createTestContext({ env });
    acme = await seedSceneAccount(t.ctx, 'Acme');
    globex = await seedSceneAccount(t.ctx, 'Globex');
  }
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const report = async (accountId?: string) =>
    PrivacyReportDto.parse(await getInstallationPrivacyReport(t.ctx, accountId === undefined ? {} : { accountId }));
  /** The lines of a report by id: the installation's as they are, each account's as `NAME/id`. */
  const linesOf = async (accountId?: string): Promise<Record<string, PrivacyReportLineDto>> => {
    const found = await report(accountId);
    const entries: [string, PrivacyReportLineDto][] = [
      ...found.installation.map((line): [string, PrivacyReportLineDto] => [line.id, line]),
      ...found.accounts.flatMap((account) =>
        account.lines.map((line): [string, PrivacyReportLineDto] => [`${account.name}/${line.id}`, line]),
      ),
    ];
    return Object.fromEntries(entries);
  };
  const sweep = () => runJobsNow(t.ctx, { definitions: [sweepRetentionJob] });
  /** Records a verified backup made `hoursAgo` hours ago. */
  const recordVerifiedBackup = (hoursAgo: number) =>
    recordBackup(db(), {
      info: {
        id: `backup-${hoursAgo}`,
        createdAt: t.clock.now() - hoursAgo * HOUR_MS,
        dialect: t.ctx.database.dialect,
        migrations: [],
        masterKeyId: t.ctx.keyring.masterKeyId,
        dataBytes: 1000,
        keyringBytes: 100,
        rows: {},
        files: { count: 0, bytes: 0 },
      },
      verification: {
        id: `backup-${hoursAgo}`,
        at: t.clock.now(),
        ok: true,
        keyringId: `backup-${hoursAgo}`,
        problems: [],
        rows: 10,
        erasedSince: 0,
        durationMs: 5,
      },
    });
  /** Stores a visitor IP in the conversation as if collected `hoursAgo` hours ago (expiring 23 hours after). */
  const plantIp = (conversationId: string, hoursAgo: number) =>
    db()
      .updateTable('conversations')
      .set({ visitor_ip_sealed: randomBytes(48), visitor_ip_expires_at: t.clock.now() + (23 - hoursAgo) * HOUR_MS })
      .where('id', '=', conversationId)
      .execute();
  const without = (lines: Record<string, PrivacyReportLineDto>, id: string) =>
    Object.fromEntries(Object.entries(lines).filter(([key]) => key !== id));

  it('reports a fresh installation line by line from its configuration and database', async () => {
    await start();
    await sweep();
    const found = await report();
    expect(found.installation.map((line) => [line.id, line.holds])).toEqual([
      ['store.database', true],
      ['store.bus', true],
      ['store.files', true],
      ['store.backups', true],
      ['data-region', true],
      ['functions', true],
      ['backups', false],
      ['master-key', true],
      ['data-map', true],
    ]);
    expect(found.holds).toBe(false);
    expect(found.accounts.map((account) => account.name).sort()).toEqual(['Acme', 'Globex']);
    const lines = await linesOf();
    expect(lines['store.database']?.detail).toMatch(
      testDialect === 'sqlite'
        ? /^SQLite, .*plauder\.db; region eu-central, inside DATA_REGION eu-central$/
        : /^PostgreSQL, [^@;]+:\d+; region eu-central, inside DATA_REGION eu-central$/,
    );
    expect(lines['data-region']?.detail).toBe('DATA_REGION is eu-central, as the database recorded at its first start');
    expect(lines.functions?.detail).toBe(
      'Email notifications: not set up; Webhooks: set up, running for 0 of 2 accounts; Machine translation: not set up',
    );
    expect(lines.backups?.detail).toBe('No backup has been verified yet; backups run daily at 03:00 UTC');
    expect(lines['master-key']?.detail).toMatch(
      /^The master key [0-9a-f-]{36} was made or last rotated less than an hour ago \(2026-01-15\); rotate it within 365 days$/,
    );
    expect(lines['data-map']?.detail).toMatch(
      /^The database and the data map agree: \d+ tables, \d+ columns, \d+ personal-data columns classified$/,
    );
    expect(lines['Acme/processors']).toMatchObject({
      holds: true,
      detail: 'No optional function runs: no sub-processor receives data',
    });
    expect(lines['Acme/retention']).toMatchObject({
      holds: true,
      detail:
        'Transcripts are kept 12 months; no conversation is past the window; the retention sweep last finished less than an hour ago',
    });
    expect(lines['Acme/visitor-ip']).toMatchObject({ holds: true, detail: 'No visitor IP is stored' });
    expect(lines['Acme/egress']).toMatchObject({ holds: true, detail: '0 refused calls in the last 30 days' });

    await recordVerifiedBackup(3);
    const backedUp = await report();
    expect(backedUp.holds).toBe(true);
    expect(backedUp.installation.find((line) => line.id === 'backups')).toMatchObject({
      holds: true,
      detail: 'The newest verified backup is 3 hours old (limit 26 hours); backups run daily at 03:00 UTC',
    });
  });

  it('marks a store outside DATA_REGION, or a server of no declared region, as not holding', async () => {
    // No DATA_REGION: the installation's own region is "local", which a bucket's region never lies in.
    await start({
      BACKUP_S3_BUCKET: 'chat-backups',
      BACKUP_S3_ENDPOINT: 'https://s3.example.test',
      BACKUP_S3_REGION: 'eu-central-1',
      BACKUP_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      BACKUP_S3_SECRET_ACCESS_KEY: 'backup-secret',
    });
    const lines = await linesOf();
    expect(lines['store.backups']).toEqual({
      id: 'store.backups',
      title: 'Backup store',
      holds: false,
      detail:
        'S3-compatible bucket, bucket chat-backups at s3.example.test; region eu-central-1, outside DATA_REGION local',
    });
    expect(lines['store.files']?.holds).toBe(true);
    expect(lines['data-region']?.detail).toBe(
      'DATA_REGION is local (none declared), as the database recorded at its first start',
    );
    expect(JSON.stringify(lines)).not.toContain('backup-secret');
    if (testDialect === 'postgres') {
      expect(lines['store.database']).toMatchObject({
        holds: false,
        detail: expect.stringMatching(
          /^PostgreSQL, [^@;]+; its region is not declared: set DATABASE_REGION$/,
        ) as unknown,
      });
    }
  });

  it('says a stored IP older than 24 hours does not hold, names its age only, and changes no other line', async () => {
    await start();
    await sweep();
    const fresh = await seedSceneConversation(t.ctx, { account: acme });
    const stale = await seedSceneConversation(t.ctx, { account: acme });
    await plantIp(fresh.conversationId, 3);
    const before = await linesOf();
    expect(before['Acme/visitor-ip']).toMatchObject({
      holds: true,
      detail: '1 visitor IP stored; the oldest is 3 hours old (limit 24 hours)',
    });

    await plantIp(stale.conversationId, 25);
    const after = await linesOf();
    expect(after['Acme/visitor-ip']).toEqual({
      id: 'visitor-ip',
      title: 'Stored visitor IPs',
      holds: false,
      detail: '2 visitor IPs stored; 1 is older than 24 hours, the oldest is 25 hours old',
    });
    expect(without(after, 'Acme/visitor-ip')).toEqual(without(before, 'Acme/visitor-ip'));
    expect(after['Globex/visitor-ip']).toMatchObject({ holds: true, detail: 'No visitor IP is stored' });

    // The purge removes the expired one: the line reads the rows, not a flag.
    await purgeIpAddresses(t.ctx);
    expect((await linesOf())['Acme/visitor-ip']).toMatchObject({
      holds: true,
      detail: before['Acme/visitor-ip']?.detail,
    });
  });

  it('says conversations past the retention window do not hold until the sweep erases them, nor a sweep overdue', async () => {
    await start();
    await sweep();
    const { conversationId } = await seedSceneConversation(t.ctx, { account: acme, close: true });
    const longAgo = retentionCutoff({ now: t.clock.now(), months: 12 }) - DAY_MS;
    await db()
      .updateTable('conversations')
      .set({ created_at: longAgo, updated_at: longAgo, closed_at: longAgo })
      .where('id', '=', conversationId)
      .execute();
    const lines = await linesOf();
    expect(lines['Acme/retention']).toMatchObject({
      holds: false,
      detail:
        'Transcripts are kept 12 months; 1 conversation is past the window and still stored; the retention sweep last finished less than an hour ago',
    });
    expect(lines['Globex/retention']?.holds).toBe(true);

    // The next hour's sweep erases it (each hour's slot runs once).
    t.clock.advance(HOUR_MS);
    await sweep();
    expect((await linesOf())['Acme/retention']?.holds).toBe(true);

    t.clock.advance(26 * HOUR_MS);
    expect((await linesOf())['Acme/retention']).toMatchObject({
      holds: false,
      detail:
        'Transcripts are kept 12 months; no conversation is past the window; the retention sweep last finished 26 hours ago, over the limit of 25 hours',
    });
  });

  it('holds the backup line only for a verified backup younger than 26 hours while daily backups are on', async () => {
    await start();
    const backups = async () => (await linesOf()).backups;
    await recordVerifiedBackup(30);
    expect(await backups()).toMatchObject({
      holds: false,
      detail: 'The newest verified backup is 30 hours old, over the limit of 26 hours; backups run daily at 03:00 UTC',
    });
    await recordVerifiedBackup(2);
    expect(await backups()).toMatchObject({ holds: true });
    await t.cleanup();

    await start({ BACKUP_TIME: 'off', DATA_REGION: 'eu-central' });
    await recordVerifiedBackup(2);
    expect(await backups()).toMatchObject({
      holds: false,
      detail: 'Daily backups are off (BACKUP_TIME=off); the newest verified backup is 2 hours old',
    });
  });

  it("counts each account's refused outbound calls of the last 30 days, and only its own", async () => {
    await start();
    const refuse = (accountId: string, host: string, at: number) =>
      countEgressRefusal(db(), { accountId, fn: 'email', host, at });
    await refuse(acme.accountId, 'mail.elsewhere.test:25', t.clock.now());
    await refuse(acme.accountId, 'mail.elsewhere.test:25', t.clock.now() - 3 * DAY_MS);
    await refuse(acme.accountId, 'other.test:25', t.clock.now() - 29 * DAY_MS);
    await refuse(acme.accountId, 'old.test:25', t.clock.now() - 30 * DAY_MS);
    const lines = await linesOf();
    expect(lines['Acme/egress']).toEqual({
      id: 'egress',
      title: 'Refused outbound calls',
      holds: true,
      detail: '3 refused calls in the last 30 days: 2 to mail.elsewhere.test:25 (email), 1 to other.test:25 (email)',
    });
    expect(lines['Globex/egress']?.detail).toBe('0 refused calls in the last 30 days');
  });

  it('lists the functions that run for an account and whom they send to, counting accounts only for the whole installation', async () => {
    await start({ BACKUP_TIME: '03:00', DATA_REGION: 'eu-central', ...MAIL });
    await setPlan(t.ctx, { name: 'mail', functions: ['email'] });
    await assignPlan(t.ctx, { accountId: acme.accountId, plan: 'mail' });
    await setAccountFunction(t.ctx, {
      by: { kind: 'cli', accountId: acme.accountId },
      fn: 'email',
      change: { enabled: true },
    });

    const whole = await report();
    const acmePart = whole.accounts.find((account) => account.accountId === acme.accountId);
    const globexPart = whole.accounts.find((account) => account.accountId === globex.accountId);
    expect(acmePart?.subProcessors).toEqual([
      expect.objectContaining({ function: 'email', hosts: ['mail.example.test:2525'], country: 'DE' }),
    ]);
    expect(acmePart?.lines[0]).toMatchObject({ id: 'processors', holds: true });
    expect(acmePart?.lines[0]?.detail).toMatch(
      /^1 optional function runs\. Email notifications sends to the mail server at mail\.example\.test:2525 \(DE\): operators' email addresses; /,
    );
    expect(globexPart?.subProcessors).toEqual([]);
    expect(whole.installation.find((line) => line.id === 'functions')?.detail).toBe(
      'Email notifications: set up (DE), running for 1 of 2 accounts; Webhooks: set up, running for 0 of 2 accounts; Machine translation: not set up',
    );

    const one = await report(globex.accountId);
    expect(one.accounts.map((account) => account.accountId)).toEqual([globex.accountId]);
    expect(one.installation.find((line) => line.id === 'functions')?.detail).toBe(
      'Email notifications: set up (DE); Webhooks: set up; Machine translation: not set up',
    );
    await expect(getInstallationPrivacyReport(t.ctx, { accountId: randomUUID() })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it("tells the master key's age from when it was made or rotated, and asks for a rotation after 365 days", async () => {
    await start();
    const madeAt = t.clock.now();
    t.clock.advance(365 * DAY_MS);
    expect((await linesOf())['master-key']).toMatchObject({
      holds: false,
      detail: expect.stringMatching(
        /was made or last rotated 365 days ago \(2026-01-15\), past 365 days: rotate it \(plauder keys rotate\)$/,
      ) as unknown,
    });

    await rotateMasterKey(t.ctx, { newMasterKey: randomBytes(32) });
    expect((await linesOf())['master-key']).toMatchObject({
      holds: true,
      detail: expect.stringContaining('less than an hour ago (2027-01-15)') as unknown,
    });

    // An installation made before the record existed tells from the rotation's audit entry, else its keys.
    await db().deleteFrom('meta').where('key', '=', 'master_key_created_at').execute();
    await recordMasterKeyCreatedOnce(db(), t.clock.now() + DAY_MS);
    expect(await masterKeyCreatedAt(db())).toBe(madeAt + 365 * DAY_MS);
    await db().deleteFrom('audit_log').where('action', '=', 'keys.rotated').execute();
    await db().deleteFrom('meta').where('key', '=', 'master_key_created_at').execute();
    await recordMasterKeyCreatedOnce(db(), t.clock.now() + DAY_MS);
    expect(await masterKeyCreatedAt(db())).toBe(madeAt);
  });

  it('checks the live database against the data map, both ways', async () => {
    await start();
    await sql`alter table contacts add column extra text`.execute(db());
    expect((await linesOf())['data-map']).toMatchObject({
      holds: false,
      detail: expect.stringMatching(
        /^The database and the data map disagree \(not in the data map: contacts\.extra\); /,
      ) as unknown,
    });
    await sql`alter table contacts drop column extra`.execute(db());
    await sql`alter table contacts drop column notes_sealed`.execute(db());
    expect((await linesOf())['data-map']?.detail).toMatch(
      /^The database and the data map disagree \(in the data map but not in the database: contacts\.notes_sealed\); /,
    );
  });
});
