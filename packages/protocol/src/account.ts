import { z } from 'zod';

/** The shortest and longest a transcript may be kept, in months. */
export const RETENTION_MONTHS = { min: 1, max: 36 } as const;

/** The caller's account and its privacy settings. */
export const AccountDto = z.object({
  id: z.string(),
  name: z.string(),
  plan: z.string(),
  status: z.enum(['active', 'terminated']),
  /** Transcripts are deleted this many months after the conversation closed; reports stay. */
  retentionMonths: z.number().int(),
  /** Whether operators see a visitor's IP address (kept sealed, at most 24 hours). Off by default. */
  showVisitorIp: z.boolean(),
  /** The IANA time zone (`Europe/Berlin`) whose days and hours the account's reports count in. */
  timeZone: z.string(),
  createdAt: z.number().int(),
  /** When the account was terminated; null while it is active. Terminated, it is read-only. */
  terminatedAt: z.number().int().nullable(),
  /** When a terminated account's data is purged for good; null while it is active. */
  purgeAfterAt: z.number().int().nullable(),
});
/** The account. */
export type AccountDto = z.infer<typeof AccountDto>;

/** Changes to the account's settings (owner or admin). */
export const AccountChanges = z
  .object({
    name: z.string().trim().min(1).max(200),
    retentionMonths: z.number().int().min(RETENTION_MONTHS.min).max(RETENTION_MONTHS.max),
    showVisitorIp: z.boolean(),
    /** An IANA time zone; the server checks it and answers its canonical name. */
    timeZone: z.string().trim().min(1).max(100),
  })
  .partial();
/** The body that changes the account. */
export type AccountChanges = z.infer<typeof AccountChanges>;

/** The owner's confirmation of a termination: the account's name, typed again. */
export const AccountTermination = z.object({ confirmName: z.string().max(200) });
/** The body that terminates the account. */
export type AccountTermination = z.infer<typeof AccountTermination>;
