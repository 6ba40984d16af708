import { randomUUID } from 'node:crypto';
import type { AttachmentSentDto, VisitorSessionDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { closeConversation } from '../domain/conversations/close-conversation.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { authenticateVisitor } from '../domain/visitors/start-visitor-session.js';
import { getAttachment } from '../storage/attachments-repository.js';
import { listMessages } from '../storage/messages-repository.js';
import { bearer, errorOf, logInAs, type Caller } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { UPLOAD_LIMIT_PER_VISITOR } from './public-limits.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
// The start of a Windows executable.
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.from([0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff])]);

/** An account with its owner logged in, and its widget's public key. */
interface Tenant {
  accountId: string;
  ownerId: string;
  owner: Caller;
  publicKey: string;
}

/** A visitor of a widget with one conversation, and its token as a caller. */
interface Visitor {
  caller: Caller;
  conversationId: string;
}

describe(`attachments over HTTP (${testDialect})`, () => {
  let t: TestContext;
  let app: App;

  async function setUp(env: Record<string, string> = {}): Promise<void> {
    t = await createTestContext({ env });
    app = await buildServer(t.ctx);
  }
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  async function tenant(name: string): Promise<Tenant> {
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
      publicKey: created.widget.publicKey,
    };
  }

  async function visitor(of: Tenant): Promise<Visitor> {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/visitor-sessions',
      payload: { publicKey: of.publicKey },
    });
    const session = response.json<VisitorSessionDto>();
    const claims = await authenticateVisitor(t.ctx, session.token);
    const { conversationId } = await startConversation(t.ctx, { visitor: claims, consent: { version: 'en-1' } });
    return { caller: bearer(session.token), conversationId };
  }

  /** Gives the conversation to the tenant's owner, as accepting it would: operators answer their own. */
  async function assignToOwner(of: Tenant, conversationId: string): Promise<void> {
    await t.ctx.database.db
      .updateTable('conversations')
      .set({ operator_id: of.ownerId, status: 'open' })
      .where('id', '=', conversationId)
      .execute();
  }

  function upload(
    caller: Caller,
    input: { url: string; data: Buffer; fileName?: string; clientMessageId?: string; contentType?: string },
  ): Promise<LightMyRequestResponse> {
    const query = new URLSearchParams({
      clientMessageId: input.clientMessageId ?? randomUUID(),
      fileName: input.fileName ?? 'file.txt',
    });
    return app.inject({
      method: 'POST',
      url: `${input.url}?${query.toString()}`,
      headers: { ...caller.headers, 'content-type': input.contentType ?? 'application/octet-stream' },
      ...(caller.cookies ? { cookies: caller.cookies } : {}),
      payload: input.data,
    });
  }

  const visitorUpload = (v: Visitor, input: { data: Buffer; fileName?: string; clientMessageId?: string }) =>
    upload(v.caller, { url: `/api/v1/visitor/conversations/${v.conversationId}/attachments`, ...input });
  const operatorUpload = (
    caller: Caller,
    conversationId: string,
    input: { data: Buffer; fileName?: string; clientMessageId?: string; contentType?: string },
  ) => upload(caller, { url: `/api/v1/conversations/${conversationId}/attachments`, ...input });

  function download(caller: Caller, url: string): Promise<LightMyRequestResponse> {
    return app.inject({
      method: 'GET',
      url,
      headers: caller.headers,
      ...(caller.cookies ? { cookies: caller.cookies } : {}),
    });
  }

  it("limits a visitor's uploads before reading them, and another visitor's go on", async () => {
    await setUp();
    const acme = await tenant('Acme');
    const v = await visitor(acme);
    for (let i = 0; i < UPLOAD_LIMIT_PER_VISITOR.capacity; i++) {
      expect((await visitorUpload(v, { data: Buffer.from(`note ${i}\n`) })).statusCode).toBe(201);
    }
    const refused = await visitorUpload(v, { data: Buffer.from('one too many\n') });
    expect(refused.statusCode).toBe(429);
    expect(errorOf(refused).code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await visitorUpload(await visitor(acme), { data: Buffer.from('mine\n') })).statusCode).toBe(201);
    const stored = await t.ctx.database.db.selectFrom('attachments').select('id').execute();
    expect(stored).toHaveLength(UPLOAD_LIMIT_PER_VISITOR.capacity + 1);
  });

  it('lets a visitor send a text file and read it back, sealed in the file store, downloaded as a file', async () => {
    await setUp();
    const acme = await tenant('Acme');
    const v = await visitor(acme);
    const marker = `MARKER-${randomUUID()}`;
    const data = Buffer.from(`My order: ${marker}\n`, 'utf8');
    const sent = await visitorUpload(v, { data, fileName: "Müller's order (1).txt" });
    expect(sent.statusCode, sent.body).toBe(201);
    const body = sent.json<AttachmentSentDto>();
    expect(Object.keys(body).sort()).toEqual(['attachment', 'messageId', 'seq']);
    expect(body.seq).toBe(1);
    expect(body.attachment).toEqual({ id: body.attachment.id, contentType: 'text/plain', sizeBytes: data.length });

    const record = await getAttachment(t.ctx.store, { accountId: acme.accountId, attachmentId: body.attachment.id });
    const raw = await t.ctx.fileStore.get(record?.storageKey ?? '');
    expect(raw).toBeDefined();
    expect(raw?.includes(Buffer.from(marker))).toBe(false);

    for (const [caller, url] of [
      [v.caller, `/api/v1/visitor/attachments/${body.attachment.id}`],
      [acme.owner, `/api/v1/attachments/${body.attachment.id}`],
    ] as const) {
      const got = await download(caller, url);
      expect(got.statusCode).toBe(200);
      expect(got.rawPayload.equals(data)).toBe(true);
      expect(got.headers).toMatchObject({
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'",
        'cache-control': 'private, no-store',
        'content-disposition': "attachment; filename*=UTF-8''M%C3%BCller%27s%20order%20%281%29.txt",
      });
    }

    const messages = await listMessages(t.ctx.store, { accountId: acme.accountId, conversationId: v.conversationId });
    expect(messages).toEqual([
      expect.objectContaining({ id: body.messageId, body: "Müller's order (1).txt", attachment: body.attachment }),
    ]);
  });

  it('lets an operator send an image with the session cookie and the visitor see it inline', async () => {
    await setUp();
    const acme = await tenant('Acme');
    const v = await visitor(acme);
    await assignToOwner(acme, v.conversationId);
    const sent = await operatorUpload(acme.owner, v.conversationId, { data: PNG, fileName: 'photo.png' });
    expect(sent.statusCode, sent.body).toBe(201);
    const { attachment } = sent.json<AttachmentSentDto>();
    expect(attachment.contentType).toBe('image/png');
    const got = await download(v.caller, `/api/v1/visitor/attachments/${attachment.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(PNG)).toBe(true);
    expect(got.headers).toMatchObject({ 'content-type': 'image/png', 'content-disposition': 'inline' });
  });

  it('takes uploads from API tokens with the write scope only', async () => {
    await setUp();
    const acme = await tenant('Acme');
    const v = await visitor(acme);
    await assignToOwner(acme, v.conversationId);
    const token = async (scope: 'read' | 'write') => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/api-tokens',
        headers: acme.owner.headers,
        cookies: acme.owner.cookies ?? {},
        payload: { name: scope, scope },
      });
      return bearer(response.json<{ secret: string }>().secret);
    };
    const writer = await token('write');
    const sent = await operatorUpload(writer, v.conversationId, { data: Buffer.from('from a script') });
    expect(sent.statusCode, sent.body).toBe(201);
    const reader = await token('read');
    const refused = await operatorUpload(reader, v.conversationId, { data: Buffer.from('from a script') });
    expect(refused.statusCode).toBe(403);
    const id = sent.json<AttachmentSentDto>().attachment.id;
    expect((await download(reader, `/api/v1/attachments/${id}`)).statusCode).toBe(200);
  });

  it('answers a resend with 200 and the same answer, storing one message, one attachment and one file', async () => {
    await setUp();
    const acme = await tenant('Acme');
    const v = await visitor(acme);
    const clientMessageId = randomUUID();
    const first = await visitorUpload(v, { data: Buffer.from('hello'), clientMessageId });
    const again = await visitorUpload(v, { data: Buffer.from('hello'), clientMessageId });
    expect([first.statusCode, again.statusCode]).toEqual([201, 200]);
    expect(again.json()).toEqual(first.json());
    const count = async (table: 'messages' | 'attachments') =>
      Number(
        (
          await t.ctx.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect([await count('messages'), await count('attachments')]).toEqual([1, 1]);
    const prefix = `accounts/${acme.accountId}/`;
    expect(await t.ctx.fileStore.deletePrefix(prefix)).toBe(1);
  });

  it("answers another account's and another visitor's conversations and attachments with 404", async () => {
    await setUp();
    const acme = await tenant('Acme');
    const globex = await tenant('Globex');
    const mine = await visitor(acme);
    const other = await visitor(acme);
    const sent = await visitorUpload(mine, { data: Buffer.from('private') });
    const { attachment } = sent.json<AttachmentSentDto>();
    await assignToOwner(acme, mine.conversationId);

    const answers = await Promise.all([
      operatorUpload(globex.owner, mine.conversationId, { data: Buffer.from('x') }),
      download(globex.owner, `/api/v1/attachments/${attachment.id}`),
      visitorUpload({ ...other, conversationId: mine.conversationId }, { data: Buffer.from('x') }),
      download(other.caller, `/api/v1/visitor/attachments/${attachment.id}`),
      download(mine.caller, `/api/v1/visitor/attachments/${randomUUID()}`),
      download(acme.owner, `/api/v1/attachments/${randomUUID()}`),
    ]);
    expect(answers.map((a) => [a.statusCode, errorOf(a).code])).toEqual(Array(6).fill([404, 'not_found']));
  });

  it('answers 401 without credentials, and 403 to a cookie write without the CSRF token', async () => {
    await setUp();
    const acme = await tenant('Acme');
    const v = await visitor(acme);
    const sent = (await visitorUpload(v, { data: Buffer.from('x') })).json<AttachmentSentDto>();
    const nobody: Caller = { headers: {} };
    const answers = await Promise.all([
      visitorUpload({ ...v, caller: nobody }, { data: Buffer.from('x') }),
      download(nobody, `/api/v1/visitor/attachments/${sent.attachment.id}`),
      operatorUpload(nobody, v.conversationId, { data: Buffer.from('x') }),
      download(nobody, `/api/v1/attachments/${sent.attachment.id}`),
      download(bearer('not-a-token'), `/api/v1/visitor/attachments/${sent.attachment.id}`),
      // A visitor token is no operator credential, nor a cookie a visitor one.
      download(v.caller, `/api/v1/attachments/${sent.attachment.id}`),
      download({ headers: {}, cookies: acme.owner.cookies ?? {} }, `/api/v1/visitor/attachments/${sent.attachment.id}`),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    const forged = await operatorUpload({ headers: {}, cookies: acme.owner.cookies ?? {} }, v.conversationId, {
      data: Buffer.from('x'),
    });
    expect([forged.statusCode, errorOf(forged).code]).toEqual([403, 'csrf_failed']);
  });

  it('refuses a file by its content, not its name, with 415 unsupported_file_type', async () => {
    await setUp();
    const v = await visitor(await tenant('Acme'));
    const response = await visitorUpload(v, { data: EXE, fileName: 'x.png' });
    expect(response.statusCode).toBe(415);
    expect(errorOf(response).code).toBe('unsupported_file_type');
    const empty = await visitorUpload(v, { data: Buffer.alloc(0) });
    expect([empty.statusCode, errorOf(empty).code]).toEqual([400, 'validation_failed']);
  });

  it('takes files up to MAX_ATTACHMENT_BYTES, over the JSON body limit, and refuses larger ones with 413', async () => {
    await setUp({ MAX_BODY_BYTES: '1024', MAX_ATTACHMENT_BYTES: '4096' });
    const v = await visitor(await tenant('Acme'));
    const fits = await visitorUpload(v, { data: Buffer.alloc(4096, 'a') });
    expect(fits.statusCode, fits.body).toBe(201);
    const tooBig = await visitorUpload(v, { data: Buffer.alloc(4097, 'a') });
    expect(tooBig.statusCode).toBe(413);
    expect(errorOf(tooBig).code).toBe('payload_too_large');
    expect(errorOf(tooBig).message).toContain('4096 bytes');
  });

  it('answers another body type with 415 and a bad query with 400', async () => {
    await setUp();
    const acme = await tenant('Acme');
    const v = await visitor(acme);
    const json = await upload(v.caller, {
      url: `/api/v1/visitor/conversations/${v.conversationId}/attachments`,
      data: Buffer.from('{"a":1}'),
      contentType: 'application/json',
    });
    expect([json.statusCode, errorOf(json).code]).toEqual([415, 'unsupported_media_type']);
    expect(errorOf(json).message).toContain('application/octet-stream');
    const badQuery = await app.inject({
      method: 'POST',
      url: `/api/v1/visitor/conversations/${v.conversationId}/attachments?clientMessageId=nope&fileName=a.txt`,
      headers: { ...v.caller.headers, 'content-type': 'application/octet-stream' },
      payload: Buffer.from('x'),
    });
    expect([badQuery.statusCode, errorOf(badQuery).code]).toEqual([400, 'validation_failed']);
    const noName = await app.inject({
      method: 'POST',
      url: `/api/v1/visitor/conversations/${v.conversationId}/attachments?clientMessageId=${randomUUID()}`,
      headers: { ...v.caller.headers, 'content-type': 'application/octet-stream' },
      payload: Buffer.from('x'),
    });
    expect([noName.statusCode, errorOf(noName).code]).toEqual([400, 'validation_failed']);
  });

  it('refuses a file in a closed conversation with 409 conversation_closed', async () => {
    await setUp();
    const acme = await tenant('Acme');
    const v = await visitor(acme);
    await closeConversation(t.ctx, {
      by: { kind: 'system', accountId: acme.accountId },
      conversationId: v.conversationId,
    });
    const response = await visitorUpload(v, { data: Buffer.from('too late') });
    expect([response.statusCode, errorOf(response).code]).toEqual([409, 'conversation_closed']);
  });

  it('publishes its four routes in the OpenAPI document, uploads as raw bodies', async () => {
    await setUp();
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    type Operation = { tags: string[]; requestBody?: { content: Record<string, unknown> } };
    const { paths } = response.json<{ paths: Record<string, Record<string, Operation>> }>();
    const routes = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.tags.includes('attachments'))
        .map(([method, operation]) => [`${method} ${path}`, Object.keys(operation.requestBody?.content ?? {})]),
    );
    expect(routes.sort()).toEqual([
      ['get /api/v1/attachments/{attachmentId}', []],
      ['get /api/v1/visitor/attachments/{attachmentId}', []],
      ['post /api/v1/conversations/{conversationId}/attachments', ['application/octet-stream']],
      ['post /api/v1/visitor/conversations/{conversationId}/attachments', ['application/octet-stream']],
    ]);
  });

  it('answers 410 key_destroyed for a file whose conversation key was destroyed', async () => {
    await setUp();
    const acme = await tenant('Acme');
    const v = await visitor(acme);
    const { attachment } = (await visitorUpload(v, { data: Buffer.from('soon gone') })).json<AttachmentSentDto>();
    await t.ctx.keyring.destroySubjectKey(t.ctx.database.db, {
      accountId: acme.accountId,
      kind: 'conversation',
      subjectId: v.conversationId,
      now: t.clock.now(),
    });
    const response = await download(acme.owner, `/api/v1/attachments/${attachment.id}`);
    expect([response.statusCode, errorOf(response).code]).toEqual([410, 'key_destroyed']);
  });
});
