import type { ConversationDetailDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { KeyDestroyedError } from '../../crypto/errors.js';
import { showsVisitorIp } from '../../storage/accounts-repository.js';
import { findConversationDetail } from '../../storage/conversation-details.js';
import { notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';
import { conversationSummaryDto } from './list-conversations.js';

/**
 * One conversation of the caller's account with its visitor panel: consent, where the visitor was,
 * contact, offline email, rating — and the visitor's IP address only while the account shows IPs and
 * the address has not expired (24 hours after the start; an expired one is never shown, purged or
 * not). Every role may read it; an unknown id, another account's or an erased one is `not_found`.
 */
export async function getConversationDetail(
  ctx: Context,
  input: { by: Principal; conversationId: string },
): Promise<ConversationDetailDto> {
  requireRole(input.by, 'operator');
  const { accountId } = input.by;
  const showIp = await showsVisitorIp(ctx.database.db, accountId);
  const detail = await findConversationDetail(ctx.store, {
    accountId,
    conversationId: input.conversationId,
    ...(showIp ? { visitorIpAt: ctx.clock.now() } : {}),
  }).catch((error: unknown) => {
    // Erased between the read of its row and the opening of its fields.
    if (error instanceof KeyDestroyedError) return undefined;
    throw error;
  });
  if (!detail) throw notFound('conversation', input.conversationId);
  return {
    ...conversationSummaryDto(detail),
    consent: detail.consent,
    visitor: detail.visitorContext,
    contact: detail.contact,
    offlineEmail: detail.visitorEmail,
    rating: detail.rating === null ? null : { score: detail.rating, comment: detail.ratingComment },
    visitorIp: detail.visitorIp,
  };
}
