import { TranslationRequest, type TranslationDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { KeyDestroyedError } from '../../crypto/errors.js';
import { findMessage } from '../../storage/messages-repository.js';
import { AppError, notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';
import { activeFunctions } from './account-functions.js';
import { EgressRefusedError, fetchThroughGuard } from './egress.js';

/** How long the translation service may take, to its last byte, before the operator is told it failed. */
const TRANSLATION_TIMEOUT_MS = 10_000;

/**
 * One message of a conversation in another language, for an operator of the account, through the
 * DeepL-compatible service (TRANSLATION_URL; `POST /v2/translate`, `Authorization: DeepL-Auth-Key`),
 * through the egress guard. Only the message's text is sent; nothing of the answer is stored.
 * `function_inactive` while translation does not run for the account (nothing is sent);
 * `provider_unavailable` when the service fails or takes longer than TRANSLATION_TIMEOUT_MS.
 */
export async function translateMessage(
  ctx: Context,
  input: { by: Principal; conversationId: string; messageId: string; body: unknown },
): Promise<TranslationDto> {
  requireRole(input.by, 'operator');
  const { accountId } = input.by;
  const request = TranslationRequest.strict().safeParse(input.body);
  if (!request.success) {
    throw new AppError('validation_failed', 'Send {"targetLang": "DE"} (a DeepL language code)', request.error.issues);
  }
  const targetLang = request.data.targetLang.toUpperCase();
  const translation = ctx.config.translation;
  if (!translation || !(await activeFunctions(ctx, ctx.database.db, accountId)).has('translation')) {
    throw new AppError(
      'function_inactive',
      'Machine translation does not run for this account: an admin turns it on under Settings → Optional functions',
    );
  }
  const text = await messageText(ctx, { accountId, conversationId: input.conversationId, messageId: input.messageId });
  let response: Response;
  try {
    response = await fetchThroughGuard(ctx, {
      accountId,
      fn: 'translation',
      url: `${translation.url}/v2/translate`,
      init: {
        method: 'POST',
        headers: {
          authorization: `DeepL-Auth-Key ${translation.apiKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ text: [text], target_lang: targetLang }),
      },
      timeoutMs: TRANSLATION_TIMEOUT_MS,
    });
  } catch (error) {
    if (error instanceof EgressRefusedError) throw new AppError('function_inactive', error.message);
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    // Neither the text nor the key: which account, and how the call failed.
    ctx.logger.warn({ accountId, err: describeCallError(error) }, 'The translation service failed');
    throw new AppError(
      'provider_unavailable',
      timedOut
        ? 'The translation service did not answer in time; try again later'
        : 'The translation service could not be reached; try again later',
    );
  }
  const answer: unknown = response.ok ? await response.json().catch(() => undefined) : undefined;
  if (!response.ok || answer === undefined) {
    ctx.logger.warn({ accountId, status: response.status }, 'The translation service gave no translation');
  }
  const first = translationOf(answer);
  if (!first) {
    throw new AppError(
      'provider_unavailable',
      response.ok
        ? 'The translation service gave an answer that is not a translation'
        : `The translation service answered ${response.status}; nothing was translated`,
    );
  }
  return {
    messageId: input.messageId,
    targetLang,
    detectedSourceLang: first.detected_source_language ?? null,
    text: first.text,
  };
}

/** A failed call as its error's name and code, e.g. `TypeError ECONNREFUSED`: no URL, no key. */
function describeCallError(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const cause: unknown = error.cause;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : '';
  return `${error.name} ${code}`.trim();
}

function translationOf(answer: unknown): { text: string; detected_source_language?: string } | undefined {
  if (typeof answer !== 'object' || answer === null || !('translations' in answer)) return undefined;
  const { translations } = answer;
  if (!Array.isArray(translations)) return undefined;
  const first: unknown = translations[0];
  if (typeof first !== 'object' || first === null || !('text' in first) || typeof first.text !== 'string') {
    return undefined;
  }
  const detected =
    'detected_source_language' in first && typeof first.detected_source_language === 'string'
      ? first.detected_source_language
      : undefined;
  return { text: first.text, ...(detected === undefined ? {} : { detected_source_language: detected }) };
}

/** The text of one message of the account's conversation; `not_found` for another account's, or erased. */
async function messageText(
  ctx: Context,
  where: { accountId: string; conversationId: string; messageId: string },
): Promise<string> {
  try {
    const message = await findMessage(ctx.store, where);
    if (!message) throw notFound('message', where.messageId);
    return message.body;
  } catch (error) {
    if (error instanceof KeyDestroyedError) throw notFound('message', where.messageId);
    throw error;
  }
}
