import { z } from 'zod';

/** A color as `#rrggbb`. */
const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a color as #rrggbb');
/** A time of day as `HH:MM`, 00:00–23:59. */
const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM');
/** A site's origin: scheme, host and port, no path; kept lower-case, so equal origins compare equal. */
export const SiteOrigin = z
  .string()
  // Host names, IPv4 and bracketed IPv6 only: no `;` or `,` can reach a Content-Security-Policy.
  .regex(
    /^https?:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/,
    'an origin such as https://www.example.com (no path; an international host in its xn-- form)',
  )
  .transform((origin) => origin.toLowerCase())
  // As a browser writes it (no default port, no credentials, ASCII host): it is compared with the
  // page's location.origin and goes verbatim into the window page's frame-ancestors.
  .refine((origin) => URL.canParse(origin) && new URL(origin).origin === origin, {
    message: 'an origin as a browser writes it, such as https://www.example.com (no default port, no user)',
  });

/** When operators answer: per weekday (0 Sunday … 6 Saturday) an opening span, in the account's time zone. */
export const BusinessHours = z.object({
  /** An IANA time zone, such as Europe/Berlin. */
  timeZone: z.string().min(1).max(64),
  spans: z.array(z.object({ day: z.number().int().min(0).max(6), open: TimeOfDay, close: TimeOfDay })).max(21),
});
/** An account's business hours. */
export type BusinessHours = z.infer<typeof BusinessHours>;

/**
 * How an account sets up one widget: looks, texts, hours, where it may run, and consent. Stored with
 * the widget; every field has a default, so an empty object is a complete setup. Nothing personal.
 */
export const WidgetSettings = z.object({
  /** The button's and the window's accent color, and the text on it. */
  color: Color.default('#2f6fed'),
  textColor: Color.default('#ffffff'),
  /** The corner of the page the button sits in. */
  position: z.enum(['right', 'left']).default('right'),
  /** The button's label; null: the language's own ("Chat"). */
  buttonLabel: z.string().trim().min(1).max(40).nullable().default(null),
  /** The first thing the window says; null: the language's own greeting. */
  greeting: z.string().trim().min(1).max(500).nullable().default(null),
  /** What the visitor sees of the operator: name and avatar, the name, or neither. */
  operatorDisplay: z.enum(['name-and-avatar', 'name', 'hidden']).default('name-and-avatar'),
  /** The window's language; `auto`: the browser's, English when it is neither English nor German. */
  language: z.enum(['auto', 'en', 'de']).default('auto'),
  /** null: no fixed hours, chats are offered whenever an operator is online. */
  businessHours: BusinessHours.nullable().default(null),
  /** The sites that may embed the widget; empty: any site. */
  allowedOrigins: z.array(SiteOrigin).max(50).default([]),
  privacy: z
    .object({
      /** The visitor consents explicitly before the first message (the default). */
      optIn: z.boolean().default(true),
      /** The account's privacy policy, linked from the window's notice. */
      policyUrl: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .nullable()
        .default(null),
      /**
       * The account's own privacy notice, shown instead of the language's (the policy link stays);
       * null: the built-in notice. Changing it asks new visitors for consent to the new text.
       */
      noticeText: z.string().trim().min(1).max(1000).nullable().default(null),
    })
    .prefault({}),
});
/** A widget's setup, with every default filled in. */
export type WidgetSettings = z.infer<typeof WidgetSettings>;

/**
 * A widget's public configuration: what the loader and the chat window read before the visitor
 * interacts. Served as a static, cacheable file (`/widget/v1/config/KEY.json`, and by `plauder cdn
 * export`); it carries no personal data and nothing of the account but the widget's setup.
 */
export const WidgetConfig = WidgetSettings.extend({
  v: z.literal(1),
  publicKey: z.string(),
  /** Where the chat window talks to: the installation's public URL. */
  apiUrl: z.string(),
  privacy: WidgetSettings.shape.privacy
    .unwrap()
    .extend({
      /**
       * The consent version of the account's own notice text, which the visitor's consent must name:
       * `custom-` and the first 8 hex digits of the text's SHA-256, computed by the installation so the
       * window need not hash. null without an own text: the window names the built-in notice (`en-1`).
       */
      noticeVersion: z.string().nullable().default(null),
    })
    .prefault({}),
});
/** A widget's public configuration. */
export type WidgetConfig = z.infer<typeof WidgetConfig>;
