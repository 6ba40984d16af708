import type { Consent } from '@plauder/protocol';
import type { Context } from '../../context.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import type { ConsentRecord } from '../../storage/conversations-repository.js';
import { AppError } from '../errors.js';
import { getWidgetSettings } from '../widgets/widget-config.js';

/** The answer to a visitor who must consent first: the widget asks for it (`privacy.optIn`). */
export function consentRequired(): AppError {
  return new AppError(
    'consent_required',
    'Ask the visitor to accept the privacy notice first, then send its version as consent',
  );
}

/**
 * The consent to record with a conversation a visitor starts: the version given, at the server's time
 * `now` (a window's clock proves nothing), or null when none was given. Throws consent_required when
 * the visitor's widget asks for consent and none was given; a consent the widget does not ask for is
 * recorded all the same.
 */
export async function consentToRecord(
  ctx: Context,
  input: { visitor: VisitorTokenClaims; consent: Consent | undefined; now: number },
): Promise<ConsentRecord | null> {
  if (input.consent) return { version: input.consent.version, at: input.now };
  const { accountId, widgetId } = input.visitor;
  const settings = await getWidgetSettings(ctx, { accountId, widgetId });
  if (settings.privacy.optIn) throw consentRequired();
  return null;
}
