import { z } from 'zod';
import { OptionalFunction, ProcessorDto } from './functions.js';

/**
 * One check of the privacy report: a promise as it stands in the database and the configuration right
 * now, never a hard-coded answer.
 */
export const PrivacyReportLineDto = z.object({
  /** Stable: `store.database`, `data-region`, `functions`, `backups`, `master-key`, `data-map`, `processors`, … */
  id: z.string(),
  title: z.string(),
  /** Whether the promise holds. */
  holds: z.boolean(),
  /** One short sentence with the figures: ages, counts, regions; never personal data. */
  detail: z.string(),
});
/** One check of the privacy report. */
export type PrivacyReportLineDto = z.infer<typeof PrivacyReportLineDto>;

/** An optional function running for the account, and whom it sends data to: one sub-processor. */
export const SubProcessorDto = ProcessorDto.extend({ function: OptionalFunction, title: z.string() });
/** A sub-processor of an account. */
export type SubProcessorDto = z.infer<typeof SubProcessorDto>;

/** The account's part of the privacy report. */
export const PrivacyReportAccountDto = z.object({
  accountId: z.string(),
  name: z.string(),
  lines: z.array(PrivacyReportLineDto),
  /** The account's sub-processor list, made from the functions that run for it (promise P9). */
  subProcessors: z.array(SubProcessorDto),
});
/** The account's part of the privacy report. */
export type PrivacyReportAccountDto = z.infer<typeof PrivacyReportAccountDto>;

/**
 * The privacy report (promise P9, "an installation proves its promises with one command"): the
 * installation's lines, then one part per account (the caller's own over the API; every account, or
 * one, at the command line).
 */
export const PrivacyReportDto = z.object({
  /** When the report was made, UTC epoch milliseconds. */
  generatedAt: z.number(),
  /** The installation's DATA_REGION. */
  dataRegion: z.string(),
  /** Whether every line of the report holds. */
  holds: z.boolean(),
  installation: z.array(PrivacyReportLineDto),
  accounts: z.array(PrivacyReportAccountDto),
});
/** The privacy report. */
export type PrivacyReportDto = z.infer<typeof PrivacyReportDto>;
