import { z } from 'zod';

/**
 * The optional functions: each sends data to a party outside the installation, so each is off until
 * the account enables it and its plan includes it (promise P9).
 */
export const OptionalFunction = z.enum(['email', 'webhooks', 'translation']);
/** An optional function's name. */
export type OptionalFunction = z.infer<typeof OptionalFunction>;

/** The party an optional function sends data to: a sub-processor of the account, once it is active. */
export const ProcessorDto = z.object({
  /** Who receives the data: the provider's name, or the account's own endpoints. */
  provider: z.string(),
  /** The hosts the function connects to; empty until configured. */
  hosts: z.array(z.string()),
  /** Where the provider processes the data: an ISO 3166 country code, or a description. */
  country: z.string(),
  /** What it is sent. */
  dataCategories: z.array(z.string()),
  purpose: z.string(),
});
/** An optional function's processor. */
export type ProcessorDto = z.infer<typeof ProcessorDto>;

/** An optional function as the account sees it. */
export const AccountFunctionDto = z.object({
  function: OptionalFunction,
  title: z.string(),
  /** Whether the account's plan includes it. */
  inPlan: z.boolean(),
  /** Whether the installation has what it needs (a mail server, a translation service). */
  configured: z.boolean(),
  /** Whether the account turned it on. */
  enabled: z.boolean(),
  /** Whether it runs and sends: enabled, in the plan and configured. */
  active: z.boolean(),
  processor: ProcessorDto,
});
/** An optional function of the account. */
export type AccountFunctionDto = z.infer<typeof AccountFunctionDto>;

/** Turns an optional function on or off (admin). */
export const AccountFunctionChange = z.object({ enabled: z.boolean() });
/** The body that turns an optional function on or off. */
export type AccountFunctionChange = z.infer<typeof AccountFunctionChange>;
