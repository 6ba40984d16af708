import { randomUUID } from 'node:crypto';
import type { OperatorServerFrame } from '@plauder/protocol';
import { openVisitor, startVisitorSession, type ServerNode } from '../../../apps/server/src/test-support/cluster.js';
import type { SocketClient } from '../../../apps/server/src/test-support/socket-client.js';

/**
 * Holds a conversation as a visitor would, over the visitor API and socket (no browser): consents to
 * the built-in English notice, writes `body`, optionally says who they are, and ends it (closed) when
 * `end` is set. Answers the conversation's id; the socket is closed again.
 */
export async function holdChat(
  node: ServerNode,
  input: { publicKey: string; body: string; contact?: { name: string; email: string }; end?: boolean },
): Promise<string> {
  const session = await startVisitorSession(node, input.publicKey);
  const socket = await openVisitor(node, session.token);
  try {
    const ref = randomUUID();
    socket.send({
      type: 'conversation.start',
      ref,
      // The built-in notice's version: the account has no text of its own.
      consent: { version: 'en-1' },
      clientMessageId: randomUUID(),
      body: input.body,
    });
    const { conversationId } = await socket.next('conversation.started', (f) => f.ref === ref);
    if (input.contact) {
      socket.send({ type: 'contact.identify', conversationId, ...input.contact });
      await socket.next('contact.identified');
    }
    if (input.end) {
      socket.send({ type: 'conversation.end', conversationId });
      await socket.next('conversation.closed', (f) => f.conversationId === conversationId);
    }
    return conversationId;
  } finally {
    socket.close();
  }
}

/**
 * A chat through the visitor API and socket: routed to `operator` (the only one online), answered
 * by them or not (then the visitor ends it: a missed chat), closed, and rated when `rating` is given.
 */
export async function holdRoutedChat(
  node: ServerNode,
  input: { publicKey: string; operator: SocketClient<OperatorServerFrame>; answer: boolean; rating?: number },
): Promise<void> {
  const visitor = await openVisitor(node, (await startVisitorSession(node, input.publicKey)).token);
  try {
    const ref = randomUUID();
    const body = 'Where is my order?';
    visitor.send({
      type: 'conversation.start',
      ref,
      consent: { version: 'en-1' },
      clientMessageId: randomUUID(),
      body,
    });
    const { conversationId } = await visitor.next('conversation.started', (frame) => frame.ref === ref);
    await input.operator.next('inbox.assigned', (frame) => frame.conversationId === conversationId);
    if (input.answer) {
      const reply = { conversationId, clientMessageId: randomUUID(), body: 'It ships today', kind: 'text' };
      input.operator.send({ type: 'message.send', ...reply });
      await visitor.next('message.created', (frame) => frame.message.authorKind === 'operator');
      input.operator.send({ type: 'conversation.close', conversationId });
    } else {
      visitor.send({ type: 'conversation.end', conversationId });
    }
    await visitor.next('conversation.closed', (frame) => frame.conversationId === conversationId);
    if (input.rating !== undefined) {
      visitor.send({ type: 'conversation.rate', conversationId, rating: input.rating });
      await visitor.next('conversation.rated');
    }
  } finally {
    visitor.close();
  }
}

/** A message left through the visitor socket while nobody is online. */
export async function leaveOfflineMessage(node: ServerNode, publicKey: string): Promise<void> {
  const visitor = await openVisitor(node, (await startVisitorSession(node, publicKey)).token);
  try {
    const clientMessageId = randomUUID();
    visitor.send({ type: 'offline-message.send', clientMessageId, body: 'Call me back', consent: { version: 'en-1' } });
    await visitor.next('offline-message.ack');
  } finally {
    visitor.close();
  }
}
