import { z } from 'zod';

/**
 * A canned response's shortcut as typed: lowercase letters, digits and "-", 1 to 32 characters,
 * starting with a letter or digit, optionally after one "/". It is stored and answered without the "/".
 */
export const CannedResponseShortcut = z
  .string()
  .trim()
  .regex(/^\/?[a-z0-9][a-z0-9-]{0,31}$/, 'use 1 to 32 lowercase letters, digits or "-", like /hello');
/** A canned response's title, as shown in the picker: 1 to 100 characters. */
export const CannedResponseTitle = z.string().trim().min(1).max(100);
/** A canned response's text, as sent to the visitor: 1 to 5000 characters. */
export const CannedResponseBody = z.string().trim().min(1).max(5000);

/** A new canned response. */
export const NewCannedResponse = z.object({
  shortcut: CannedResponseShortcut,
  title: CannedResponseTitle,
  body: CannedResponseBody,
});
/** The body that creates a canned response. */
export type NewCannedResponse = z.infer<typeof NewCannedResponse>;

/** Changes to a canned response: the fields given, at least one. */
export const CannedResponseChanges = NewCannedResponse.partial();
/** The body that changes a canned response. */
export type CannedResponseChanges = z.infer<typeof CannedResponseChanges>;

/** A canned response: an account's reusable reply text under a shortcut (without "/"). */
export const CannedResponseDto = z.object({
  id: z.string(),
  shortcut: z.string(),
  title: z.string(),
  body: z.string(),
  /** The operator who wrote it; null when an API token did, or once that operator is gone. */
  createdBy: z.string().nullable(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
/** A canned response. */
export type CannedResponseDto = z.infer<typeof CannedResponseDto>;
