import { createHash } from 'node:crypto';
import { WidgetConfig, WidgetSettings } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { findWidgetByPublicKey, findWidgetRecord } from '../../storage/widgets-repository.js';
import { notFound } from '../errors.js';

/**
 * The public configuration of the widget with this public key (WidgetConfig): its settings with every
 * default filled in, and where its window chats. `undefined` for an unknown key and for a terminated
 * account's widget, which stops serving. Reads one row and writes nothing.
 */
export async function getWidgetConfig(ctx: Context, publicKey: string): Promise<WidgetConfig | undefined> {
  const widget = await findWidgetByPublicKey(ctx.database.db, publicKey);
  if (!widget || widget.accountStatus !== 'active') return undefined;
  // Settings that do not parse throw: falling back to defaults could lift the account's site restriction.
  const settings = WidgetSettings.parse(widget.settings);
  const privacy = { ...settings.privacy, noticeVersion: customNoticeVersion(settings.privacy.noticeText) };
  return WidgetConfig.parse({ v: 1, publicKey, apiUrl: ctx.config.publicUrl, ...settings, privacy });
}

/**
 * The consent version of an account's own privacy notice: `custom-` and the first 8 hex digits of the
 * text's SHA-256, so a consent record names the words the visitor accepted (4 bytes tell an account's
 * few texts apart; they are no secret). null without an own text: the window names its built-in notice.
 */
export function customNoticeVersion(noticeText: string | null): string | null {
  return noticeText === null ? null : `custom-${createHash('sha256').update(noticeText).digest('hex').slice(0, 8)}`;
}

/**
 * The settings of one widget of the account, with every default filled in. Throws `not_found` for an
 * unknown widget or another account's, and, as getWidgetConfig does, for settings that do not parse.
 */
export async function getWidgetSettings(
  ctx: Context,
  where: { accountId: string; widgetId: string },
): Promise<WidgetSettings> {
  const settings = (await findWidgetRecord(ctx.database.db, where))?.settings;
  if (!settings) throw notFound('widget', where.widgetId);
  return WidgetSettings.parse(settings);
}

/** A config file's bytes, the same wherever it is served from, so ETags agree. */
export function widgetConfigBody(config: WidgetConfig): string {
  return JSON.stringify(config);
}
