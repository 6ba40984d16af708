import type { MessageDto, TranslationDto } from '@plauder/protocol';

/**
 * The languages the Translate action offers (DeepL target codes; EN and PT without their variant,
 * which DeepL still takes). The operator's own is added when it is not among them.
 */
export const TARGET_LANGUAGES: readonly { code: string; name: string }[] = [
  { code: 'DE', name: 'German' },
  { code: 'EN', name: 'English' },
  { code: 'ES', name: 'Spanish' },
  { code: 'FR', name: 'French' },
  { code: 'IT', name: 'Italian' },
  { code: 'NL', name: 'Dutch' },
  { code: 'PL', name: 'Polish' },
  { code: 'PT', name: 'Portuguese' },
  { code: 'SV', name: 'Swedish' },
  { code: 'TR', name: 'Turkish' },
  { code: 'UK', name: 'Ukrainian' },
  { code: 'JA', name: 'Japanese' },
  { code: 'ZH', name: 'Chinese' },
];

/**
 * The language a message is translated into unless the operator picks another: the browser's
 * language without its region, upper-cased (`de-DE` → `DE`); English when the browser names none
 * with two letters.
 */
export function defaultTargetLang(browserLanguage: string | undefined): string {
  const first = browserLanguage?.split('-')[0]?.toUpperCase() ?? '';
  return /^[A-Z]{2}$/.test(first) ? first : 'EN';
}

/** The languages to pick from: the offered ones, and `own` first when it is not among them. */
export function languageOptions(own: string): readonly { code: string; name: string }[] {
  return TARGET_LANGUAGES.some((l) => l.code === own)
    ? TARGET_LANGUAGES
    : [{ code: own, name: own }, ...TARGET_LANGUAGES];
}

/** Whether a message offers Translate: text a person wrote, not a note, a file or the installation's own. */
export function isTranslatable(message: MessageDto): boolean {
  return (
    message.kind === 'text' && !message.attachment && message.authorKind !== 'system' && message.body.trim() !== ''
  );
}

/** The API address that translates one message. */
export function translationPath(message: Pick<MessageDto, 'conversationId' | 'id'>): string {
  return `/api/v1/conversations/${encodeURIComponent(message.conversationId)}/messages/${encodeURIComponent(message.id)}/translation`;
}

/** The mark over a translation: machine made, from which language (when the service said) into which. */
export function translationLabel(translation: TranslationDto): string {
  const from = translation.detectedSourceLang ? ` from ${translation.detectedSourceLang}` : '';
  return `Machine translated${from} into ${translation.targetLang}`;
}
