import { z } from 'zod';
import { ConversationStatus } from './frames-common.js';

/** A contact as listed. */
export const ContactSummaryDto = z.object({
  id: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  conversationCount: z.number().int().nonnegative(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
/** A listed contact. */
export type ContactSummaryDto = z.infer<typeof ContactSummaryDto>;

/** A page of contacts, newest first. */
export const ContactPageDto = z.object({ contacts: z.array(ContactSummaryDto), nextCursor: z.string().nullable() });
/** A page of contacts. */
export type ContactPageDto = z.infer<typeof ContactPageDto>;

/** A contact with everything kept about them. */
export const ContactDetailDto = ContactSummaryDto.extend({
  phone: z.string().nullable(),
  notes: z.string().nullable(),
  conversations: z.array(
    z.object({
      id: z.string(),
      status: ConversationStatus,
      createdAt: z.number().int(),
      closedAt: z.number().int().nullable(),
    }),
  ),
});
/** A contact in full. */
export type ContactDetailDto = z.infer<typeof ContactDetailDto>;

/** Changes to a contact: the fields given; null clears one. */
export const ContactChanges = z
  .object({
    name: z.string().trim().min(1).max(200).nullable(),
    email: z.string().trim().toLowerCase().email().max(320).nullable(),
    phone: z.string().trim().min(1).max(50).nullable(),
    notes: z.string().max(5000).nullable(),
  })
  .partial();
/** The body that changes a contact. */
export type ContactChanges = z.infer<typeof ContactChanges>;
