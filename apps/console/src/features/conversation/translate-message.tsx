import type { MessageDto, TranslationDto, TranslationRequest } from '@plauder/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { translationLabel, translationPath } from './translation.js';

/** What a transcript gives each message to translate it: the API, the languages, the one last picked in it. */
export interface TranslateOptions {
  api: Api;
  languages: readonly { code: string; name: string }[];
  targetLang: string;
  onTargetLang: (code: string) => void;
}

/**
 * "Translate" under a message, while machine translation runs for the account: asks for the language
 * (the one last picked, at first the browser's), then shows the service's text below the message,
 * marked as machine translated. Nothing of it is kept: it is gone with the transcript. A refusal
 * (`function_inactive`, `provider_unavailable`) shows the API's reason beside the action.
 */
export function TranslateMessage(props: TranslateOptions & { message: MessageDto }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [translation, setTranslation] = useState<TranslationDto | null>(null);
  const language = useRef<HTMLSelectElement>(null);
  useEffect(() => {
    if (asking) language.current?.focus();
  }, [asking]);

  const translate = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: TranslationRequest = { targetLang: props.targetLang };
      setTranslation(await props.api.request<TranslationDto>('POST', translationPath(props.message), body));
      setAsking(false);
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {translation && (
        <div class="translation" lang={translation.targetLang.toLowerCase()}>
          <p class="translation-label">{translationLabel(translation)}</p>
          <p class="body">{translation.text}</p>
        </div>
      )}
      <div class="message-tools">
        {asking ? (
          <form class="translate-form" aria-label="Translate the message" onSubmit={(event) => void translate(event)}>
            <label>
              Into{' '}
              <select
                ref={language}
                value={props.targetLang}
                disabled={busy}
                onChange={(e) => props.onTargetLang(e.currentTarget.value)}
              >
                {props.languages.map((l) => (
                  <option key={l.code} value={l.code}>
                    {l.name}
                  </option>
                ))}
              </select>
            </label>{' '}
            <button type="submit" class="link" disabled={busy}>
              {busy ? 'Translating…' : 'Translate'}
            </button>{' '}
            <button type="button" class="link" disabled={busy} onClick={() => setAsking(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <>
            <button type="button" class="link" onClick={() => setAsking(true)}>
              {translation ? 'Translate again' : 'Translate'}
            </button>
            {translation && (
              <>
                {' '}
                <button type="button" class="link" onClick={() => setTranslation(null)}>
                  Hide translation
                </button>
              </>
            )}
          </>
        )}
        {error && (
          <span class="error" role="alert">
            {' '}
            {error}
          </span>
        )}
      </div>
    </>
  );
}
