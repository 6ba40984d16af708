import type { Consent, WidgetSettings } from '@plauder/protocol';
import type { Context } from '../../context.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import type { ConsentRecord } from '../../storage/conversations-repository.js';
import { AppError } from '../errors.js';
import { customNoticeVersion, getWidgetSettings } from '../widgets/widget-config.js';

/**
 * The versions of the widget's built-in notice: its language and revision, such as `en-1` (the
 * window's strings.ts raises the revision when the words change, so earlier ones stay valid records).
 */
const BUILT_IN_NOTICE_VERSION = /^(en|de)-[1-9]\d{0,5}$/;

/** The answer to a visitor who must consent first: the widget asks for it (`privacy.optIn`). */
export function consentRequired(): AppError {
  return new AppError(
    'consent_required',
    'Ask the visitor to accept the privacy notice first, then send its version as consent',
  );
}

/**
 * Whether a consent names the notice the widget shows now: with the account's own text, exactly the
 * version its public config announces; without one, a version of the built-in notice.
 */
export function namesCurrentNotice(privacy: WidgetSettings['privacy'], consent: Consent): boolean {
  const custom = customNoticeVersion(privacy.noticeText);
  return custom === null ? BUILT_IN_NOTICE_VERSION.test(consent.version) : consent.version === custom;
}

/**
 * The consent to record with a conversation a visitor starts: the version given, at the server's time
 * `now` (a window's clock proves nothing), or null when none was given. Throws consent_required when
 * the visitor's widget asks for consent and none was given, or one to a notice the widget no longer
 * shows (its text changed since the window loaded). A consent the widget does not ask for is recorded
 * all the same when it names the current notice; one that does not is left out, since a record must
 * name words the visitor was shown and none were needed.
 */
export async function consentToRecord(
  ctx: Context,
  input: { visitor: VisitorTokenClaims; consent: Consent | undefined; now: number },
): Promise<ConsentRecord | null> {
  const { accountId, widgetId } = input.visitor;
  const { privacy } = await getWidgetSettings(ctx, { accountId, widgetId });
  if (input.consent && namesCurrentNotice(privacy, input.consent)) {
    return { version: input.consent.version, at: input.now };
  }
  if (!privacy.optIn) return null;
  if (!input.consent) throw consentRequired();
  const shown = customNoticeVersion(privacy.noticeText) ?? 'en-N or de-N';
  throw new AppError(
    'consent_required',
    `The consent names notice version "${input.consent.version}", not the one the widget shows now (${shown}): show it and ask the visitor again`,
  );
}
