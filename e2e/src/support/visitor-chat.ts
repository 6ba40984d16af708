import { randomUUID } from 'node:crypto';
import { openVisitor, startVisitorSession, type ServerNode } from '../../../apps/server/src/test-support/cluster.js';

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
