import type { MessageDto } from '@plauder/protocol';
import type { Message } from '../../storage/messages-repository.js';
import type { OperatorNames } from '../operators/operator-names.js';

/**
 * A stored message as the wire shows it (`message.created`, a resume's replay, a transcript page):
 * with its operator's display name and the file it carries.
 */
export async function messageDto(message: Message, names: OperatorNames): Promise<MessageDto> {
  return {
    id: message.id,
    conversationId: message.conversationId,
    seq: message.seq,
    authorKind: message.authorKind,
    kind: message.kind,
    body: message.body,
    createdAt: message.createdAt,
    ...(message.operatorId ? { operatorName: await names.of(message.operatorId) } : {}),
    ...(message.attachment ? { attachment: message.attachment } : {}),
  };
}
