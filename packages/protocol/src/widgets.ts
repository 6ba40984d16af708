import { z } from 'zod';
import { WidgetSettings } from './widget-config.js';

const settings = WidgetSettings.shape;
const privacy = settings.privacy.unwrap().shape;

/**
 * Changes to a widget's privacy settings: the keys given replace the stored ones. The defaults are
 * unwrapped because zod fills a default into an absent optional key, which would turn "not given"
 * into "reset to the default".
 */
export const WidgetPrivacyChanges = z
  .object({
    optIn: privacy.optIn.unwrap().optional(),
    policyUrl: privacy.policyUrl.unwrap().optional(),
    noticeText: privacy.noticeText.unwrap().optional(),
  } satisfies Record<keyof typeof privacy, z.ZodType>)
  .strict();
/** Changes to a widget's privacy settings. */
export type WidgetPrivacyChanges = z.infer<typeof WidgetPrivacyChanges>;

/**
 * Changes to a widget's settings: each top-level key given replaces the stored one, `privacy`'s keys
 * one by one; null resets a field whose default is null. Unknown keys are refused, so a typo is not
 * silently dropped. The `satisfies` keeps this in step with WidgetSettings: a new setting fails to compile here.
 */
export const WidgetSettingsChanges = z
  .object({
    color: settings.color.unwrap().optional(),
    textColor: settings.textColor.unwrap().optional(),
    position: settings.position.unwrap().optional(),
    buttonLabel: settings.buttonLabel.unwrap().optional(),
    greeting: settings.greeting.unwrap().optional(),
    operatorDisplay: settings.operatorDisplay.unwrap().optional(),
    language: settings.language.unwrap().optional(),
    businessHours: settings.businessHours.unwrap().optional(),
    allowedOrigins: settings.allowedOrigins.unwrap().optional(),
    privacy: WidgetPrivacyChanges.optional(),
  } satisfies Record<keyof typeof settings, z.ZodType>)
  .strict();
/** Changes to a widget's settings. */
export type WidgetSettingsChanges = z.infer<typeof WidgetSettingsChanges>;

/** A widget's name as the console shows it: 1 to 100 characters, trimmed. */
export const WidgetName = z.string().trim().min(1).max(100);

/** The body that changes a widget: its name, its settings (merged over the stored ones), or both. */
export const UpdateWidgetRequest = z
  .object({
    name: WidgetName.optional(),
    settings: WidgetSettingsChanges.optional(),
  })
  .strict();
/** The body that changes a widget. */
export type UpdateWidgetRequest = z.infer<typeof UpdateWidgetRequest>;

/**
 * The body that adds a widget to the account: its name, and settings in the shape of a change (those
 * not given follow the defaults, as a new account's first widget does).
 */
export const CreateWidgetRequest = z
  .object({
    name: WidgetName,
    settings: WidgetSettingsChanges.optional(),
  })
  .strict();
/** The body that adds a widget. */
export type CreateWidgetRequest = z.infer<typeof CreateWidgetRequest>;

/**
 * A widget's settings as the API answers them: WidgetSettings with its site origins already
 * lower-case. Without the transform, since the server encodes every answer through its schema and
 * zod cannot run a transform backwards.
 */
export const WidgetSettingsDto = WidgetSettings.extend({ allowedOrigins: z.array(z.string()) });

/** A widget of the account: the chat button a site embeds by its public key, with its settings. */
export const WidgetDto = z.object({
  id: z.string(),
  /** What the snippet's `data-widget` attribute names; public, not a secret. */
  publicKey: z.string(),
  name: z.string(),
  settings: WidgetSettingsDto,
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
/** A widget of the account. */
export type WidgetDto = z.infer<typeof WidgetDto>;
