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

/** The events a webhook endpoint can take. */
export const WebhookEvent = z.enum([
  'conversation.started',
  'message.created',
  'conversation.closed',
  'offline_message.received',
]);
/** A webhook event's name. */
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/** An account's webhook endpoint. Its signing secret is shown by its own route, not here. */
export const WebhookEndpointDto = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(WebhookEvent),
  enabled: z.boolean(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
/** A webhook endpoint. */
export type WebhookEndpointDto = z.infer<typeof WebhookEndpointDto>;

/** Adds a webhook endpoint (admin): an http(s) URL and the events it takes (default: all). */
export const WebhookEndpointInput = z.object({
  url: z.string().max(2000),
  events: z.array(WebhookEvent).min(1).optional(),
  enabled: z.boolean().optional(),
});
/** The body that adds a webhook endpoint. */
export type WebhookEndpointInput = z.infer<typeof WebhookEndpointInput>;

/** Changes a webhook endpoint: any of its URL, events and whether it takes them. */
export const WebhookEndpointChange = WebhookEndpointInput.partial();
/** The body that changes a webhook endpoint. */
export type WebhookEndpointChange = z.infer<typeof WebhookEndpointChange>;

/** A webhook endpoint's signing secret: HMAC-SHA256 key of the Plauder-Signature header. */
export const WebhookSecretDto = z.object({ secret: z.string() });
/** A webhook endpoint's signing secret. */
export type WebhookSecretDto = z.infer<typeof WebhookSecretDto>;

/** One email or webhook call of the account, as the delivery log shows it: never its content. */
export const DeliveryDto = z.object({
  id: z.string(),
  function: z.enum(['email', 'webhooks']),
  event: z.string(),
  endpointId: z.string().nullable(),
  conversationId: z.string().nullable(),
  status: z.enum(['pending', 'delivered', 'failed', 'cancelled']),
  attempts: z.number().int(),
  /** When the next attempt is due, while pending. */
  nextAttemptAt: z.number().int().nullable(),
  /** The HTTP status or SMTP reply code of the last attempt. */
  lastCode: z.number().int().nullable(),
  /** Why the last attempt failed, or why the delivery was cancelled. */
  lastError: z.string().nullable(),
  createdAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
});
/** A delivery of the log. */
export type DeliveryDto = z.infer<typeof DeliveryDto>;

/** Asks for a message in another language (DeepL language codes such as DE, EN-GB, FR). */
export const TranslationRequest = z.object({ targetLang: z.string().regex(/^[A-Za-z]{2}(-[A-Za-z]{2,4})?$/) });
/** The body that asks for a translation. */
export type TranslationRequest = z.infer<typeof TranslationRequest>;

/** A message's text in another language; nothing of it is stored. */
export const TranslationDto = z.object({
  messageId: z.string(),
  targetLang: z.string(),
  detectedSourceLang: z.string().nullable(),
  text: z.string(),
});
/** A translation of one message. */
export type TranslationDto = z.infer<typeof TranslationDto>;
