import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listMessages } from '../../storage/messages-repository.js';
import { capturingLogger } from '../../test-support/capturing-logger.js';
import { createTestContext, type TestContext } from '../../test-support/test-context.js';
import { createAccount } from '../accounts/create-account.js';
import { authenticateVisitor, startVisitorSession } from '../visitors/start-visitor-session.js';
import { sendMessage } from './send-message.js';
import { startConversation } from './start-conversation.js';

describe('announcing changes while Redis is away', () => {
  let t: TestContext | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  it('stores and answers a start and a message at once, and logs the publishes that failed', async () => {
    const { logger, lines } = capturingLogger({ level: 'error' });
    // Nothing listens on port 1: every publish waits out the bus's request timeout (5 s), then fails.
    t = await createTestContext({ env: { REDIS_URL: 'redis://127.0.0.1:1' }, logger });
    const ctx = t.ctx;
    const { widget } = await createAccount(ctx, {
      name: 'Away',
      plan: 'standard',
      owner: { email: 'owner@away.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    const visitor = await authenticateVisitor(
      ctx,
      (await startVisitorSession(ctx, { publicKey: widget.publicKey })).token,
    );
    // Every publish is held until released: a start or a send that waited for one would never return.
    const held: (() => void)[] = [];
    const publish = ctx.bus.publish.bind(ctx.bus);
    vi.spyOn(ctx.bus, 'publish').mockImplementation(
      (channel, event) =>
        new Promise<void>((resolve, reject) => held.push(() => void publish(channel, event).then(resolve, reject))),
    );
    const { conversationId } = await startConversation(ctx, { visitor, consent: { version: 'en-1' } });
    const sent = await sendMessage(ctx, {
      author: { kind: 'visitor', accountId: visitor.accountId, visitorId: visitor.visitorId },
      conversationId,
      clientMessageId: randomUUID(),
      body: 'Anyone there?',
    });
    // Answered with the new conversation's and the message's publishes still held.
    expect(held.length).toBeGreaterThanOrEqual(2);
    for (const release of held.splice(0)) release();
    expect(sent.seq).toBe(1);
    const stored = await listMessages(ctx.store, { accountId: visitor.accountId, conversationId });
    expect(stored.map((message) => message.body)).toEqual(['Anyone there?']);
    // The publishes fail later, and say so.
    await expect.poll(() => lines.join('\n'), { timeout: 10_000 }).toMatch(/Could not publish an event/);
  });
});
