import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyDestroyedError } from '../../crypto/errors.js';
import { insertMessage } from '../../storage/messages-repository.js';
import { SEARCH_TOKEN_BYTES, setMessageSearchTokens, tokensOf } from '../../storage/search-repository.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { createAccount } from '../accounts/create-account.js';
import { sendAttachment } from '../attachments/send-attachment.js';
import { closeConversation } from '../conversations/close-conversation.js';
import { deleteMessage } from '../conversations/delete-message.js';
import { eraseConversation } from '../conversations/erase-conversation.js';
import { leaveOfflineMessage } from '../conversations/leave-offline-message.js';
import { sendMessage, type MessageAuthor } from '../conversations/send-message.js';
import { startConversation } from '../conversations/start-conversation.js';
import type { Principal } from '../principal.js';
import { authenticateVisitor, startVisitorSession } from '../visitors/start-visitor-session.js';
import { hashTokens, searchKey } from './search-key.js';
import { searchTokens } from './tokens.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

describe(`the search index of messages (${testDialect})`, () => {
  let t: TestContext;
  let accountId: string;
  let ownerId: string;
  let publicKey: string;
  beforeEach(async () => {
    t = await createTestContext();
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    accountId = created.accountId;
    ownerId = created.owner.id;
    publicKey = created.widget.publicKey;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function visitorWithConversation() {
    const session = await startVisitorSession(t.ctx, { publicKey });
    const visitor = await authenticateVisitor(t.ctx, session.token);
    const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    const author: MessageAuthor = { kind: 'visitor', accountId, visitorId: visitor.visitorId };
    return { visitor, author, conversationId };
  }

  /**
   * The stored tokens of a message (its blob), as hex, sorted; each must be in its conversation's
   * index too.
   */
  async function storedTokens(messageId: string): Promise<string[]> {
    const message = await t.ctx.database.db
      .selectFrom('messages')
      .select(['search_tokens', 'conversation_id', 'account_id'])
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow();
    expect(message.account_id).toBe(accountId);
    const tokens = tokensOf(message.search_tokens ?? Buffer.alloc(0)).map((token) => token.toString('hex'));
    const indexed = await t.ctx.database.db
      .selectFrom('conversation_tokens')
      .select('token')
      .where('conversation_id', '=', message.conversation_id)
      .execute();
    const indexedHex = new Set(indexed.map((row) => Buffer.from(row.token).toString('hex')));
    for (const token of tokens) expect(indexedHex.has(token), `token ${token} in the conversation's index`).toBe(true);
    return tokens.sort();
  }

  /** The tokens a text should be stored under in this account, as hex, sorted. */
  async function expectedTokens(text: string): Promise<string[]> {
    const hashes = Buffer.from(hashTokens(await searchKey(t.ctx.store, accountId), searchTokens(text)));
    const hex: string[] = [];
    for (let at = 0; at < hashes.length; at += SEARCH_TOKEN_BYTES) {
      hex.push(hashes.subarray(at, at + SEARCH_TOKEN_BYTES).toString('hex'));
    }
    return hex.sort();
  }

  const countTokens = async () =>
    Number(
      (
        await t.ctx.database.db
          .selectFrom('conversation_tokens')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('stores a sent message with one token per distinct word, 16 bytes each', async () => {
    const { author, conversationId } = await visitorWithConversation();
    const sent = await sendMessage(t.ctx, {
      author,
      conversationId,
      clientMessageId: randomUUID(),
      body: 'Die Rechnung für März ist falsch, die Rechnung!',
    });
    const tokens = await storedTokens(sent.messageId);
    expect(tokens).toHaveLength(6);
    expect(tokens.every((hex) => hex.length === SEARCH_TOKEN_BYTES * 2)).toBe(true);
    expect(tokens).toEqual(await expectedTokens('die rechnung fur marz ist falsch'));
  });

  it('stores a message and its tokens together or not at all', async () => {
    const { visitor, conversationId } = await visitorWithConversation();
    const append = (searchTokens: Uint8Array) =>
      t.ctx.database.appendMessage({
        accountId,
        conversationId,
        clientMessageId: randomUUID(),
        author: { kind: 'visitor', visitorId: visitor.visitorId },
        kind: 'text',
        messageId: randomUUID(),
        bodySealed: Buffer.from('not read here'),
        searchTokens,
        now: t.clock.now(),
      });
    // Tokens that cannot be stored (not whole 16-byte tokens) leave the message unstored too.
    await expect(append(new Uint8Array(SEARCH_TOKEN_BYTES * 2 - 1))).rejects.toThrow(/16 bytes each/);
    const messages = () => t.ctx.database.db.selectFrom('messages').select('id').execute();
    expect(await messages()).toHaveLength(0);
    const outcome = await append(new Uint8Array(SEARCH_TOKEN_BYTES * 2).fill(7));
    expect(outcome.status).toBe('stored');
    expect(await messages()).toHaveLength(1);
    expect(await countTokens()).toBe(1);
  });

  it('stores the tokens of messages committed together, each with its own message', async () => {
    const conversations = await Promise.all(Array.from({ length: 5 }, () => visitorWithConversation()));
    // Sent at once, they share group commits; each is sent twice, so a batch may hold a resend too.
    const sends = conversations.flatMap(({ author, conversationId }, index) => {
      const clientMessageId = randomUUID();
      const body = `Nachricht ${index} an alle Nummer${index}`;
      return [0, 1].map(() => sendMessage(t.ctx, { author, conversationId, clientMessageId, body }));
    });
    const sent = await Promise.all(sends);
    for (let index = 0; index < conversations.length; index++) {
      const [first, second] = [sent[index * 2], sent[index * 2 + 1]];
      expect(second?.messageId).toBe(first?.messageId);
      expect(await storedTokens(first?.messageId ?? '')).toEqual(
        await expectedTokens(`nachricht an alle nummer${index}`),
      );
    }
    expect(await countTokens()).toBe(conversations.length * 4);
  });

  it('stores no more tokens for a resend, and none for a refused message', async () => {
    const { author, conversationId } = await visitorWithConversation();
    const clientMessageId = randomUUID();
    await sendMessage(t.ctx, { author, conversationId, clientMessageId, body: 'hello there' });
    await sendMessage(t.ctx, { author, conversationId, clientMessageId, body: 'hello there' });
    expect(await countTokens()).toBe(2);
    await closeConversation(t.ctx, { by: author, conversationId });
    await expect(
      sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body: 'too late now' }),
    ).rejects.toMatchObject({ code: 'conversation_closed' });
    expect(await countTokens()).toBe(2);
  });

  it('indexes notes, file names and offline messages as they are stored', async () => {
    const { author, conversationId, visitor } = await visitorWithConversation();
    const note = await sendMessage(t.ctx, {
      author: { kind: 'operator', accountId, operatorId: ownerId },
      conversationId,
      clientMessageId: randomUUID(),
      kind: 'note',
      body: 'Kunde ist VIP',
    });
    expect(await storedTokens(note.messageId)).toEqual(await expectedTokens('kunde ist vip'));
    const file = await sendAttachment(t.ctx, {
      author,
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'Lieferschein-März.png',
      data: PNG,
    });
    expect(await storedTokens(file.messageId)).toEqual(await expectedTokens('lieferschein marz png'));
    const offline = await leaveOfflineMessage(t.ctx, {
      visitor,
      clientMessageId: randomUUID(),
      body: 'Bitte um Rückruf',
      consent: { version: 'en-1' },
    });
    const [offlineMessage] = await t.ctx.database.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', offline.conversationId)
      .execute();
    expect(await storedTokens(offlineMessage?.id ?? '')).toEqual(await expectedTokens('bitte um ruckruf'));
  });

  it('stores messages of many words in chunks, every token once', async () => {
    const { conversationId } = await visitorWithConversation();
    for (const words of [1, 3, 64, 100, 500]) {
      const body = Array.from({ length: words }, (_, i) => `word${i}`).join(' ');
      const inserted = await insertMessage(t.ctx.store, {
        accountId,
        conversationId,
        clientMessageId: randomUUID(),
        authorKind: 'visitor',
        body,
        now: t.clock.now(),
      });
      const id = inserted?.id ?? '';
      const tokens = hashTokens(await searchKey(t.ctx.store, accountId), searchTokens(body));
      const where = { accountId, conversationId, messageId: id, tokens };
      expect(await setMessageSearchTokens(t.ctx.database.db, where)).toBe(true);
      // Again: what is stored already stays as it is.
      expect(await setMessageSearchTokens(t.ctx.database.db, where)).toBe(false);
      expect(await storedTokens(id)).toEqual(await expectedTokens(body));
    }
  });

  it('keeps a word once per conversation, and a deleted message takes the words no other message holds', async () => {
    const first = await visitorWithConversation();
    const second = await visitorWithConversation();
    const sent: string[] = [];
    for (const body of ['one two three', 'three four']) {
      const { author, conversationId } = second;
      sent.push((await sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body })).messageId);
    }
    const { author, conversationId } = first;
    await sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body: 'one two three' });
    expect(await countTokens()).toBe(4 + 3);
    await eraseConversation(t.ctx, {
      conversationId: first.conversationId,
      by: { kind: 'visitor', accountId, visitorId: (first.author as { visitorId: string }).visitorId },
    });
    expect(await countTokens()).toBe(4);
    const owner: Principal = { kind: 'operator', accountId, operatorId: ownerId, role: 'owner', sessionId: 's' };
    await deleteMessage(t.ctx, { by: owner, conversationId: second.conversationId, messageId: sent[0] ?? '' });
    // "three" stays: the other message holds it.
    expect(await countTokens()).toBe(2);
    expect(await storedTokens(sent[1] ?? '')).toEqual(await expectedTokens('three four'));
  });

  it('erases the tokens with the conversation', async () => {
    const { author, conversationId } = await visitorWithConversation();
    const kept = await visitorWithConversation();
    await sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body: 'secret words here' });
    await sendMessage(t.ctx, {
      author: kept.author,
      conversationId: kept.conversationId,
      clientMessageId: randomUUID(),
      body: 'other words',
    });
    expect(await countTokens()).toBe(5);
    await eraseConversation(t.ctx, {
      conversationId,
      by: { kind: 'visitor', accountId, visitorId: (author as { visitorId: string }).visitorId },
    });
    expect(await countTokens()).toBe(2);
  });

  it('derives a search key per account from its account key, and none once that key is destroyed', async () => {
    const key = await searchKey(t.ctx.store, accountId);
    expect(key).toHaveLength(32);
    expect(await searchKey(t.ctx.store, accountId)).toEqual(key);
    const other = await createAccount(t.ctx, {
      name: 'Other',
      plan: 'standard',
      owner: { email: 'owner@other.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    const otherKey = await searchKey(t.ctx.store, other.accountId);
    expect(otherKey.equals(key)).toBe(false);
    // The same word has other tokens in another account.
    expect(Buffer.from(hashTokens(otherKey, ['rechnung'])).equals(Buffer.from(hashTokens(key, ['rechnung'])))).toBe(
      false,
    );
    // Not the account's blind index key of contact emails either: another label, another key.
    expect((await t.ctx.keyring.accountIndexKey(t.ctx.database.db, accountId)).equals(key)).toBe(false);
    await t.ctx.keyring.destroyAccountKeys(t.ctx.database.db, { accountId, now: t.clock.now() });
    await expect(searchKey(t.ctx.store, accountId)).rejects.toBeInstanceOf(KeyDestroyedError);
  });
});
