import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { sendAttachment } from '../attachments/send-attachment.js';
import { identifyVisitor } from '../contacts/identify-visitor.js';
import { rateConversation } from '../conversations/rate-conversation.js';
import { startConversation } from '../conversations/start-conversation.js';
import { acceptInvitation } from '../operators/accept-invitation.js';
import { inviteOperator } from '../operators/invite-operator.js';
import type { Principal } from '../principal.js';
import { authenticateVisitor, startVisitorSession } from '../visitors/start-visitor-session.js';
import { createAccount } from './create-account.js';
import { restoreAccount } from './restore-account.js';
import { terminateAccount } from './terminate-account.js';

const terminated = { code: 'account_terminated' };

/**
 * P5 in the use cases themselves, whoever calls them: a terminated account takes no new personal
 * data from its visitors' windows, files or invitation links, and takes it again once restored.
 */
describe(`the use cases of a terminated account (${testDialect})`, () => {
  let t: TestContext;
  let accountId: string;
  let owner: Principal;
  let visitor: VisitorTokenClaims;
  let conversationId: string;
  beforeEach(async () => {
    t = await createTestContext();
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    accountId = created.accountId;
    owner = { kind: 'operator', accountId, operatorId: created.owner.id, role: 'owner', sessionId: 's' };
    const session = await startVisitorSession(t.ctx, { publicKey: created.widget.publicKey });
    visitor = await authenticateVisitor(t.ctx, session.token);
    ({ conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } }));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const identify = () => identifyVisitor(t.ctx, { visitor, conversationId, name: 'Ada', email: 'ada@example.test' });
  const rate = () =>
    rateConversation(t.ctx, {
      visitor: { accountId, visitorId: visitor.visitorId },
      conversationId,
      rating: 4,
      comment: 'Helpful',
    });
  const upload = (author: 'visitor' | 'operator') =>
    sendAttachment(t.ctx, {
      author:
        author === 'visitor'
          ? { kind: 'visitor', accountId, visitorId: visitor.visitorId }
          : { kind: 'operator', accountId, operatorId: owner.kind === 'operator' ? owner.operatorId : '' },
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'notes.txt',
      data: Buffer.from('my address is …\n'),
    });

  it("refuses a visitor's identify, rating and file, and an operator's file, storing nothing", async () => {
    await terminateAccount(t.ctx, { by: { kind: 'cli', accountId } });

    await expect(identify()).rejects.toMatchObject(terminated);
    await expect(rate()).rejects.toMatchObject(terminated);
    await expect(upload('visitor')).rejects.toMatchObject(terminated);
    await expect(upload('operator')).rejects.toMatchObject(terminated);

    const db = t.ctx.database.db;
    expect(await db.selectFrom('contacts').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('attachments').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('messages').select('id').execute()).toEqual([]);
    expect((await db.selectFrom('conversations').select('rating').executeTakeFirstOrThrow()).rating).toBeNull();
  });

  it('refuses an invitation link of a terminated account, and honours it once the account is restored', async () => {
    const invitation = await inviteOperator(t.ctx, { by: owner, email: 'nora@acme.test', role: 'operator' });
    const token = invitation.inviteUrl.split('#')[1] ?? '';
    const accept = () =>
      acceptInvitation(t.ctx, { token, displayName: 'Nora', password: 'a new long password', client: 'c' });
    await terminateAccount(t.ctx, { by: { kind: 'cli', accountId } });

    await expect(accept()).rejects.toMatchObject(terminated);
    const operators = () => t.ctx.database.db.selectFrom('operators').select('id').execute();
    expect(await operators()).toHaveLength(1);

    await restoreAccount(t.ctx, { by: { kind: 'cli', accountId } });
    await expect(accept()).resolves.toBeDefined();
    expect(await operators()).toHaveLength(2);
  });

  it('takes the identify, rating and file again once the account is restored', async () => {
    await terminateAccount(t.ctx, { by: { kind: 'cli', accountId } });
    await restoreAccount(t.ctx, { by: { kind: 'cli', accountId } });

    await expect(identify()).resolves.toMatchObject({ created: true });
    await expect(rate()).resolves.toBeUndefined();
    await expect(upload('visitor')).resolves.toMatchObject({ duplicate: false });
  });
});
