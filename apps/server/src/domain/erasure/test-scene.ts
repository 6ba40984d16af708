import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from '../../context.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { insertAccount } from '../../storage/accounts-repository.js';
import { attachmentStorageKey } from '../../storage/attachments-repository.js';
import { setConversationContact } from '../../storage/conversations-repository.js';
import { insertOperator, EMAIL_TAKEN } from '../../storage/operators-repository.js';
import { assignConversationRow } from '../../storage/routing-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { insertVisitor, insertWidget } from '../../storage/widgets-repository.js';
import { sendAttachment } from '../attachments/send-attachment.js';
import { identifyVisitor } from '../contacts/identify-visitor.js';
import { closeConversation } from '../conversations/close-conversation.js';
import { accountChannel, AccountEvent, conversationChannel, ConversationEvent } from '../conversations/events.js';
import { rateConversation } from '../conversations/rate-conversation.js';
import { sendMessage } from '../conversations/send-message.js';
import { startConversation } from '../conversations/start-conversation.js';

// Scenes for the tests of erasure, bulk deletes and retention: real chats written through the use
// cases, with marker words that a scan of the raw database (test-support/raw-database) must not find
// once they are erased.

// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** An account of a scene: its first widget and its owner. */
export interface SceneAccount {
  accountId: string;
  widgetId: string;
  ownerId: string;
}

/** A conversation of a scene: who is in it, the marker words of its messages, its files. */
export interface SceneConversation {
  conversationId: string;
  createdAt: number;
  visitor: VisitorTokenClaims;
  contactId: string | null;
  markers: string[];
  files: string[];
}

/** An account with its key, an owner (no real password) and a widget, written through the repositories. */
export async function seedSceneAccount(ctx: Context, label: string): Promise<SceneAccount> {
  const now = ctx.clock.now();
  const accountId = randomUUID();
  const widgetId = await inTransaction(ctx.store, async (tx) => {
    await insertAccount(tx.db, { id: accountId, name: label, plan: 'standard', retentionMonths: 12, now });
    await tx.keyring.createAccountKey(tx.db, { accountId, now });
    return (await insertWidget(tx.db, { accountId, name: 'Website', now })).id;
  });
  const owner = await insertOperator(ctx.store, {
    accountId,
    email: `owner-${randomUUID()}@example.test`,
    displayName: `${label} owner`,
    role: 'owner',
    passwordHash: 'not-a-real-hash',
    now,
  });
  if (owner === EMAIL_TAKEN) throw new Error('A scene owner email was taken: UUIDs collided');
  return { accountId, widgetId, ownerId: owner.id };
}

/** Another widget of a scene's account. */
export async function addSceneWidget(ctx: Context, account: SceneAccount): Promise<string> {
  const widget = await insertWidget(ctx.database.db, {
    accountId: account.accountId,
    name: 'Shop',
    now: ctx.clock.now(),
  });
  return widget.id;
}

/** A marker word: unique, and upper case so the search index holds its token too. */
export function newMarker(): string {
  return `MARKER${randomBytes(8).toString('hex').toUpperCase()}`;
}

/**
 * A visitor's conversation on the account's widget (or `widgetId`), with `messages` messages holding a
 * marker word each, and as asked: a file, a contact (a new one named `contactName`, or `contactId`
 * linked), an operator it is assigned to, a rating (closed first, as a visitor rates after the end),
 * closed. The clock is left where it was.
 */
export async function seedSceneConversation(
  ctx: Context,
  input: {
    account: SceneAccount;
    widgetId?: string;
    messages?: number;
    file?: boolean;
    contactName?: string;
    contactId?: string;
    operatorId?: string;
    rating?: number;
    close?: boolean;
  },
): Promise<SceneConversation> {
  const { accountId } = input.account;
  const widgetId = input.widgetId ?? input.account.widgetId;
  const now = ctx.clock.now();
  const visitorId = await insertVisitor(ctx.database.db, { accountId, widgetId, now });
  const visitor: VisitorTokenClaims = { accountId, widgetId, visitorId, expiresAt: now + 60 * 60 * 1000 };
  const { conversationId, createdAt } = await startConversation(ctx, { visitor, consent: { version: 'en-1' } });
  const author = { kind: 'visitor' as const, accountId, visitorId };
  const markers: string[] = [];
  for (let i = 0; i < (input.messages ?? 2); i++) {
    const marker = newMarker();
    markers.push(marker);
    await sendMessage(ctx, { author, conversationId, clientMessageId: randomUUID(), body: `Order ${marker} please` });
  }
  const files: string[] = [];
  if (input.file) {
    const sent = await sendAttachment(ctx, {
      author,
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'receipt.png',
      data: PNG,
    });
    files.push(attachmentStorageKey({ accountId, conversationId, attachmentId: sent.attachment.id }));
  }
  let contactId: string | null = null;
  if (input.contactId !== undefined) {
    contactId = input.contactId;
    await setConversationContact(ctx.database.db, { accountId, conversationId, contactId, now });
  } else if (input.contactName !== undefined) {
    contactId = (await identifyVisitor(ctx, { visitor, conversationId, name: input.contactName })).contactId;
  }
  if (input.operatorId !== undefined) {
    const where = { accountId, conversationId, operatorId: input.operatorId, from: 'waiting' as const, now };
    await assignConversationRow(ctx.database.db, where);
  }
  if (input.close || input.rating !== undefined) await closeConversation(ctx, { by: author, conversationId });
  if (input.rating !== undefined) {
    await rateConversation(ctx, { visitor: author, conversationId, rating: input.rating });
  }
  return { conversationId, createdAt, visitor, contactId, markers, files };
}

/** The `conversation.closed` events heard: on the account's inbox channel and on each conversation's own. */
export interface HeardCloses {
  /** Conversation ids whose close the operators' inbox heard, with who closed. */
  inbox: { conversationId: string; closedBy: string }[];
  /** Conversation ids whose close their visitor's window heard. */
  windows: string[];
  stop(): Promise<void>;
}

/** Listens for the closes of an account's conversations as operators and visitors hear them, until `stop`. */
export async function listenForCloses(
  ctx: Context,
  input: { accountId: string; conversationIds: readonly string[] },
): Promise<HeardCloses> {
  const heard: HeardCloses = { inbox: [], windows: [], stop: async () => {} };
  const stops = [
    await ctx.bus.subscribe(accountChannel(input.accountId), (message) => {
      const event = AccountEvent.parse(message);
      if (event.type === 'conversation.closed') {
        heard.inbox.push({ conversationId: event.conversationId, closedBy: event.closedBy });
      }
    }),
  ];
  for (const conversationId of input.conversationIds) {
    stops.push(
      await ctx.bus.subscribe(conversationChannel(conversationId), (message) => {
        const event = ConversationEvent.parse(message);
        if (event.type === 'conversation.closed') heard.windows.push(event.conversationId);
      }),
    );
  }
  heard.stop = async () => {
    for (const stop of stops) await stop();
  };
  return heard;
}
