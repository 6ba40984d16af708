import { z } from 'zod';
import { ConversationStatus } from './frames-common.js';

const EpochMs = z.number().int().min(0);

/**
 * Which conversations of the caller's account a bulk delete erases: those that meet every criterion
 * given. `createdFrom` is inclusive, `createdTo` exclusive (epoch ms); `operatorId` is the operator a
 * conversation is assigned to. A filter with no criterion is refused unless it says `all: true`, which
 * stands alone: a forgotten filter must never delete everything.
 */
export const DeletionFilter = z
  .object({
    createdFrom: EpochMs.optional(),
    createdTo: EpochMs.optional(),
    widgetId: z.string().uuid().optional(),
    operatorId: z.string().uuid().optional(),
    status: ConversationStatus.optional(),
    rating: z.number().int().min(1).max(5).optional(),
    contactId: z.string().uuid().optional(),
    all: z.literal(true).optional(),
  })
  .strict();
/** A bulk delete's filter. */
export type DeletionFilter = z.infer<typeof DeletionFilter>;

/** A dry run: how much a filter would erase now. */
export const DeletionPreviewRequest = z.object({ filter: DeletionFilter }).strict();
/** The body of a dry run. */
export type DeletionPreviewRequest = z.infer<typeof DeletionPreviewRequest>;

/** What a filter matches now: conversations, and their messages (notes and files included). */
export const DeletionPreviewDto = z.object({
  conversations: z.number().int().nonnegative(),
  messages: z.number().int().nonnegative(),
});
/** A dry run's counts. */
export type DeletionPreviewDto = z.infer<typeof DeletionPreviewDto>;

/** Starts a bulk delete; `confirm: true` is required, so no client deletes by accident. */
export const StartDeletionRequest = z.object({ filter: DeletionFilter, confirm: z.literal(true) }).strict();
/** The body that starts a bulk delete. */
export type StartDeletionRequest = z.infer<typeof StartDeletionRequest>;
