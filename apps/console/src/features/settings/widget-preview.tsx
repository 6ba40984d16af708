import type { WidgetDto } from '@plauder/protocol';
import './widget-preview.css';

type Settings = WidgetDto['settings'];

/**
 * The widget's own words, as apps/widget shows them (loader/button.ts, window/strings.ts): copied,
 * since the console imports nothing of the widget. Only what the preview draws.
 */
const WORDS = {
  en: {
    button: 'Chat',
    title: 'Chat',
    greeting: 'Hello! How can we help you?',
    notice:
      'Your messages and files are stored encrypted by the operator of this website to answer you, and deleted after the retention period. You can download or delete this conversation at any time.',
    policy: 'Privacy policy',
    accept: 'Accept and start chatting',
    composer: 'Your message',
    send: 'Send',
  },
  de: {
    button: 'Chat',
    title: 'Chat',
    greeting: 'Hallo! Wie können wir Ihnen helfen?',
    notice:
      'Ihre Nachrichten und Dateien werden vom Betreiber dieser Website verschlüsselt gespeichert, um Ihnen zu antworten, und nach Ablauf der Aufbewahrungsfrist gelöscht. Sie können dieses Gespräch jederzeit herunterladen oder löschen.',
    policy: 'Datenschutzerklärung',
    accept: 'Zustimmen und Chat beginnen',
    composer: 'Ihre Nachricht',
    send: 'Senden',
  },
};

/** The widget's words in its language; `auto` as the widget decides it, by this browser's language. */
export function widgetWords(language: Settings['language']) {
  if (language !== 'auto') return WORDS[language];
  return navigator.language.toLowerCase().startsWith('de') ? WORDS.de : WORDS.en;
}

/**
 * A live picture of the widget with these settings, drawn by the console: the open chat window as a
 * visitor first sees it (the consent screen with opt-in, else the conversation) above the button, in
 * the configured corner, colors and words. Nothing in it is a control.
 */
export function WidgetPreview(props: { settings: Settings }) {
  const { settings } = props;
  const t = widgetWords(settings.language);
  const greeting = settings.greeting ?? t.greeting;
  const notice = (
    <p class="preview-notice">
      {settings.privacy.noticeText ?? t.notice}{' '}
      {settings.privacy.policyUrl && <span class="preview-link">{t.policy}</span>}
    </p>
  );
  return (
    <figure class="widget-preview">
      <figcaption>Preview</figcaption>
      <div
        class={`preview-page ${settings.position}`}
        data-preview
        style={{ '--accent': settings.color, '--on-accent': settings.textColor }}
      >
        <div class="preview-window">
          <div class="preview-header">
            <span>{t.title}</span>
            <span aria-hidden="true">×</span>
          </div>
          {settings.privacy.optIn ? (
            <div class="preview-panel">
              <p class="preview-greeting">{greeting}</p>
              {notice}
              <span class="preview-primary">{t.accept}</span>
            </div>
          ) : (
            <>
              <div class="preview-panel">{notice}</div>
              <div class="preview-log">
                <p class="preview-bubble">{greeting}</p>
              </div>
              <div class="preview-composer">
                <span class="preview-input">{t.composer}</span>
                <span class="preview-primary">{t.send}</span>
              </div>
            </>
          )}
        </div>
        <span class="preview-button">{settings.buttonLabel ?? t.button}</span>
      </div>
    </figure>
  );
}
