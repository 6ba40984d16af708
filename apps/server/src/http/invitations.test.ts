import { randomBytes } from 'node:crypto';
import type {
  IssuedOperatorInvitationDto,
  OperatorDto,
  OperatorInvitationDto,
  Role,
  SessionDto,
} from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { MAX_FAILURES_PER_TARGET } from '../domain/auth/login-throttle.js';
import { listAuditEntries } from '../storage/audit-repository.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const BASE = '/api/v1/operator-invitations';
const ACCEPT = '/api/v1/invitations/accept';
const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

interface Account {
  accountId: string;
  ownerId: string;
  owner: Caller;
}

describe(`operator invitations over HTTP (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  function call(caller: Caller, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    return callAs(app, caller, { method, url, ...(payload === undefined ? {} : { payload }) });
  }

  function accept(payload: object): Promise<LightMyRequestResponse> {
    return app.inject({ method: 'POST', url: ACCEPT, payload });
  }

  async function account(name: string): Promise<Account> {
    const email = `owner@${name.toLowerCase()}.test`;
    const created = await createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email, displayName: `${name} Owner`, password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    return {
      accountId: created.accountId,
      ownerId: created.owner.id,
      owner: await logInAs(app, { email, password: PASSWORD }),
    };
  }

  async function colleague(of: Account, email: string, role: Role): Promise<Caller> {
    const response = await call(of.owner, 'POST', '/api/v1/operators', {
      email,
      displayName: email.split('@')[0],
      password: PASSWORD,
      role,
    });
    expect(response.statusCode).toBe(201);
    return logInAs(app, { email, password: PASSWORD });
  }

  async function token(by: Caller, scope: 'read' | 'write'): Promise<Caller> {
    const response = await call(by, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope });
    expect(response.statusCode).toBe(201);
    return bearer(response.json<{ secret: string }>().secret);
  }

  async function invite(by: Caller, email: string, role: Role = 'operator'): Promise<IssuedOperatorInvitationDto> {
    const response = await call(by, 'POST', BASE, { email, role });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<IssuedOperatorInvitationDto>();
  }

  async function pending(by: Caller): Promise<OperatorInvitationDto[]> {
    const response = await call(by, 'GET', BASE);
    expect(response.statusCode).toBe(200);
    return response.json<{ invitations: OperatorInvitationDto[] }>().invitations;
  }

  const tokenOf = (invitation: IssuedOperatorInvitationDto) => invitation.inviteUrl.split('#')[1] ?? '';

  it('invites a colleague with a link shown once, of which only the hash is stored', async () => {
    const acme = await account('Acme');
    const invitation = await invite(acme.owner, ' New@Acme.Test ', 'admin');
    expect(invitation).toEqual({
      id: expect.any(String) as string,
      email: 'new@acme.test',
      role: 'admin',
      createdAt: t.clock.now(),
      expiresAt: t.clock.now() + SEVEN_DAYS_MS,
      inviteUrl: expect.stringMatching(/#[A-Za-z0-9_-]{43}$/) as string,
    });
    expect(invitation.inviteUrl.startsWith(`${t.config.publicUrl}/app/invite#`)).toBe(true);

    // Listed without the link, which is shown once.
    expect(await pending(acme.owner)).toEqual([
      {
        id: invitation.id,
        email: 'new@acme.test',
        role: 'admin',
        createdAt: t.clock.now(),
        expiresAt: invitation.expiresAt,
      },
    ]);
    const rows = await t.ctx.database.db.selectFrom('operator_invitations').selectAll().execute();
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows, (_key, value: unknown) =>
      Buffer.isBuffer(value) ? value.toString('latin1') : value,
    );
    expect(stored).not.toContain(tokenOf(invitation));
    expect(stored).not.toContain('new@acme.test');
    const [entry] = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 1 });
    expect(entry).toMatchObject({ action: 'operator.invited', targetIds: [invitation.id], actorId: acme.ownerId });
  });

  it('signs the invitee in as a new operator with the invited email and role, once', async () => {
    const acme = await account('Acme');
    const invitation = await invite(acme.owner, 'new@acme.test', 'admin');
    t.clock.advance(60_000);

    const response = await accept({
      token: tokenOf(invitation),
      displayName: ' Nora ',
      password: 'a new long password',
    });
    expect(response.statusCode, response.body).toBe(200);
    const session = response.json<SessionDto>();
    expect(session.operator).toMatchObject({
      accountId: acme.accountId,
      email: 'new@acme.test',
      displayName: 'Nora',
      role: 'admin',
      capacity: 5,
    });
    const cookie = response.cookies.find((c) => c.name === 'plauder_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const nora: Caller = {
      cookies: { plauder_session: cookie?.value ?? '' },
      headers: { 'x-csrf-token': session.csrfToken },
    };
    expect((await call(nora, 'GET', '/api/v1/auth/session')).json<SessionDto>().operator.id).toBe(session.operator.id);
    expect((await pending(nora)).map((i) => i.id)).toEqual([]);
    await logInAs(app, { email: 'new@acme.test', password: 'a new long password' });

    const operators = (await call(acme.owner, 'GET', '/api/v1/operators')).json<{ operators: OperatorDto[] }>();
    expect(operators.operators.map((o) => o.email)).toEqual(['owner@acme.test', 'new@acme.test']);
    const actions = (await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 10 })).map(
      (e) => e.action,
    );
    expect(actions).toEqual(
      expect.arrayContaining(['operator.created', 'operator.invitation-accepted', 'auth.logged-in']),
    );
    expect(await t.ctx.database.db.selectFrom('operator_invitations').select('id').execute()).toEqual([]);

    const again = await accept({ token: tokenOf(invitation), displayName: 'Eve', password: 'another long password' });
    expect(again.statusCode).toBe(410);
    expect(errorOf(again).code).toBe('invitation_invalid');
  });

  it('answers invitation_invalid for an unknown, revoked or expired link, and deletes expired ones', async () => {
    const acme = await account('Acme');
    const revoked = await invite(acme.owner, 'revoked@acme.test');
    const expiring = await invite(acme.owner, 'late@acme.test');
    const revoke = await call(acme.owner, 'DELETE', `${BASE}/${revoked.id}`);
    expect(revoke.statusCode).toBe(204);
    expect((await pending(acme.owner)).map((i) => i.id)).toEqual([expiring.id]);
    t.clock.advance(SEVEN_DAYS_MS);

    const body = { displayName: 'Someone', password: 'a new long password' };
    for (const link of [randomBytes(32).toString('base64url'), tokenOf(revoked), tokenOf(expiring)]) {
      const response = await accept({ ...body, token: link });
      expect(response.statusCode).toBe(410);
      expect(errorOf(response)).toMatchObject({ code: 'invitation_invalid' });
    }
    expect(await t.ctx.database.db.selectFrom('operator_invitations').select('id').execute()).toEqual([]);
    // The owner's session ended with the week; they log in again.
    const owner = await logInAs(app, { email: 'owner@acme.test', password: PASSWORD });
    expect(await pending(owner)).toEqual([]);
    const again = await call(owner, 'DELETE', `${BASE}/${revoked.id}`);
    expect(again.statusCode).toBe(404);
  });

  it('refuses a malformed acceptance with validation_failed, creating nobody', async () => {
    const acme = await account('Acme');
    const link = tokenOf(await invite(acme.owner, 'new@acme.test'));
    const bad = [
      { token: link, displayName: 'Nora', password: 'short' },
      { token: link, displayName: '', password: 'a new long password' },
      { token: link, displayName: 42, password: 'a new long password' },
      { displayName: 'Nora', password: 'a new long password' },
    ];
    for (const payload of bad) {
      const response = await accept(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(errorOf(response).code).toBe('validation_failed');
    }
    expect(await pending(acme.owner)).toHaveLength(1);
  });

  it('throttles guessing as logins are', async () => {
    const link = randomBytes(32).toString('base64url');
    const body = { token: link, displayName: 'Nora', password: 'a new long password' };
    for (let i = 0; i < MAX_FAILURES_PER_TARGET; i++) expect((await accept(body)).statusCode).toBe(410);
    const response = await accept(body);
    expect(response.statusCode).toBe(429);
    expect(errorOf(response).code).toBe('too_many_attempts');
    expect(response.headers['retry-after']).toBeDefined();
  });

  it('lets admins invite operators and admins, owners also owners, and tokens operators only', async () => {
    const acme = await account('Acme');
    const admin = await colleague(acme, 'admin@acme.test', 'admin');
    const agent = await colleague(acme, 'agent@acme.test', 'operator');
    const writeToken = await token(acme.owner, 'write');
    const refusals: [Caller, Role][] = [
      [agent, 'operator'],
      [admin, 'owner'],
      [writeToken, 'admin'],
      [await token(acme.owner, 'read'), 'operator'],
    ];
    for (const [caller, role] of refusals) {
      const response = await call(caller, 'POST', BASE, { email: 'x@acme.test', role });
      expect(response.statusCode, role).toBe(403);
      expect(errorOf(response).code).toBe('forbidden');
    }
    expect((await call(agent, 'GET', BASE)).statusCode).toBe(403);
    await invite(admin, 'a@acme.test', 'admin');
    await invite(acme.owner, 'b@acme.test', 'owner');
    await invite(writeToken, 'c@acme.test', 'operator');
    const listed = (await pending(admin)).map((i) => [i.email, i.role]);
    expect(listed.sort()).toEqual([
      ['a@acme.test', 'admin'],
      ['b@acme.test', 'owner'],
      ['c@acme.test', 'operator'],
    ]);
    for (const payload of [{ email: 'nope', role: 'operator' }, { email: 'x@acme.test', role: 'king' }, {}]) {
      const response = await call(acme.owner, 'POST', BASE, payload);
      expect(response.statusCode).toBe(400);
      expect(errorOf(response).code).toBe('validation_failed');
    }
  });

  it('refuses an email that logs in already or is invited already, and keeps accounts apart', async () => {
    const acme = await account('Acme');
    const beta = await account('Beta');
    const ours = await invite(acme.owner, 'new@acme.test');
    for (const email of ['owner@beta.test', 'new@acme.test']) {
      const response = await call(acme.owner, 'POST', BASE, { email, role: 'operator' });
      expect(response.statusCode, email).toBe(409);
      expect(errorOf(response).code).toBe('conflict');
    }
    const theirs = await invite(beta.owner, 'new@acme.test');
    expect((await pending(acme.owner)).map((i) => i.email)).toEqual(['new@acme.test']);
    expect((await pending(beta.owner)).map((i) => i.id)).toEqual([theirs.id]);
    const foreign = await call(acme.owner, 'DELETE', `${BASE}/${theirs.id}`);
    expect(foreign.statusCode).toBe(404);
    expect(errorOf(foreign).code).toBe('not_found');
    expect(await pending(beta.owner)).toHaveLength(1);

    // The first acceptance takes the email; the other account's invitation then cannot be used.
    const first = await accept({ token: tokenOf(theirs), displayName: 'Nora', password: 'a new long password' });
    expect(first.json<SessionDto>().operator.accountId).toBe(beta.accountId);
    const second = await accept({ token: tokenOf(ours), displayName: 'Nora', password: 'a new long password' });
    expect(second.statusCode).toBe(409);
    expect(errorOf(second).code).toBe('conflict');
  });

  it('records who sent an invitation, and deletes the pending ones of an operator who is removed', async () => {
    const acme = await account('Acme');
    const admin = await colleague(acme, 'admin@acme.test', 'admin');
    const adminId = (await call(admin, 'GET', '/api/v1/auth/session')).json<SessionDto>().operator.id;
    const byOwner = await invite(acme.owner, 'a@acme.test');
    const byAdmin = await invite(admin, 'b@acme.test');
    const byToken = await invite(await token(acme.owner, 'write'), 'c@acme.test');
    const senders = async () =>
      Object.fromEntries(
        (await t.ctx.database.db.selectFrom('operator_invitations').select(['id', 'created_by']).execute()).map(
          (row) => [row.id, row.created_by],
        ),
      );
    expect(await senders()).toEqual({ [byOwner.id]: acme.ownerId, [byAdmin.id]: adminId, [byToken.id]: null });

    expect((await call(acme.owner, 'DELETE', `/api/v1/operators/${adminId}`)).statusCode).toBe(204);
    expect(await senders()).toEqual({ [byOwner.id]: acme.ownerId, [byToken.id]: null });
    const response = await accept({ token: tokenOf(byAdmin), displayName: 'B', password: 'a new long password' });
    expect(response.statusCode).toBe(410);
    expect(errorOf(response).code).toBe('invitation_invalid');
  });

  it('answers conflict, never an error, to invitations of one email sent at the same time', async () => {
    const acme = await account('Acme');
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => call(acme.owner, 'POST', BASE, { email: 'same@acme.test', role: 'operator' })),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
    expect(await pending(acme.owner)).toHaveLength(1);
  });

  it('answers conflict, never an error, to an acceptance racing an operator added with the same email', async () => {
    const acme = await account('Acme');
    for (let round = 0; round < 3; round++) {
      const email = `race${round}@acme.test`;
      const invitation = await invite(acme.owner, email);
      const [accepted, created] = await Promise.all([
        accept({ token: tokenOf(invitation), displayName: 'Invited', password: 'a new long password' }),
        call(acme.owner, 'POST', '/api/v1/operators', { email, displayName: 'Added', password: PASSWORD }),
      ]);
      expect([accepted.statusCode, created.statusCode].sort(), `${accepted.body} ${created.body}`).toEqual(
        accepted.statusCode === 200 ? [200, 409] : [201, 409],
      );
    }
  });

  it('invites the email of a removed operator again', async () => {
    const acme = await account('Acme');
    const created = await call(acme.owner, 'POST', '/api/v1/operators', {
      email: 'back@acme.test',
      displayName: 'Back',
      password: PASSWORD,
      role: 'operator',
    });
    const removed = await call(acme.owner, 'DELETE', `/api/v1/operators/${created.json<OperatorDto>().id}`);
    expect(removed.statusCode).toBe(204);
    const invitation = await invite(acme.owner, 'back@acme.test');
    const response = await accept({
      token: tokenOf(invitation),
      displayName: 'Back again',
      password: 'a new long password',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json<SessionDto>().operator.id).not.toBe(created.json<OperatorDto>().id);
  });
});
