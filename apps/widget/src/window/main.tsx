/**
 * The chat window's entry, inside the iframe on the chat origin. The page that loads it carries the
 * widget's public configuration; the fragment names the embedding site's origin, to which every
 * bridge message is pinned (frame-ancestors already limits which sites may embed the page).
 */
import type { WidgetConfig } from '@plauder/protocol';
import { render } from 'preact';
import { parseToWindow, type SavedConversation, type ToLoader } from '../bridge/messages.js';
import { widgetLanguage } from '../language.js';
import { App } from './app.js';
import { ChatClient } from './chat-client.js';
import './window.css';

const configElement = document.getElementById('plauder-config');
// The installation writes this element from WidgetSettings; the window carries no validator (size).
const config = JSON.parse(configElement?.textContent ?? 'null') as WidgetConfig;
/** The embedding site's origin, from the fragment the loader wrote; '' when it is missing or garbled. */
function siteOriginOf(hash: string): string {
  try {
    return new URL(decodeURIComponent(hash.slice(1))).origin;
  } catch {
    return '';
  }
}
const siteOrigin = siteOriginOf(location.hash);
const language = widgetLanguage(config.language, navigator.language);
document.documentElement.lang = language;
document.documentElement.style.setProperty('--accent', config.color);
document.documentElement.style.setProperty('--on-accent', config.textColor);

const toLoader = (message: ToLoader): void => {
  if (window.parent !== window && siteOrigin) window.parent.postMessage(message, siteOrigin);
};

let isOpen = false;
let unread = 0;
let lastOperatorSeq = 0;
let client: ChatClient | undefined;

/** Starts the chat with what the loader kept from an earlier page and the page it is on (its answer to `ready`). */
function start(saved: SavedConversation | null, pageUrl?: string): void {
  if (client) return;
  const chat = new ChatClient({
    config,
    siteOrigin,
    saved,
    ...(pageUrl ? { pageUrl } : {}),
    persist: (next) => toLoader({ plauder: 1, type: 'persist', saved: next }),
    onLifecycle: (name) => toLoader({ plauder: 1, type: 'event', name }),
    onOperatorMessage(message) {
      lastOperatorSeq = Math.max(lastOperatorSeq, message.seq ?? 0);
      toLoader({ plauder: 1, type: 'event', name: 'message', detail: { authorKind: message.authorKind } });
      if (isOpen && document.hasFocus()) chat.read(lastOperatorSeq);
      else toLoader({ plauder: 1, type: 'unread', count: ++unread });
    },
  });
  client = chat;
  const root = document.getElementById('app');
  if (root) {
    render(
      <App client={chat} config={config} language={language} onClose={() => toLoader({ plauder: 1, type: 'close' })} />,
      root,
    );
  }
}

/** The visitor looks at the window: their unread messages are read now. */
function seen(): void {
  unread = 0;
  toLoader({ plauder: 1, type: 'unread', count: 0 });
  if (lastOperatorSeq > 0) client?.read(lastOperatorSeq);
}

/** Moves the keyboard to the window's first thing to do: the composer, the consent or a form. */
function focusFirst(): void {
  document.querySelector<HTMLElement>('[data-autofocus]')?.focus();
}

window.addEventListener('message', (event: MessageEvent) => {
  if (event.origin !== siteOrigin || event.source !== window.parent) return;
  const message = parseToWindow(event.data);
  if (!message) return;
  switch (message.type) {
    case 'init':
      start(message.saved, message.pageUrl);
      return;
    case 'opened':
      isOpen = true;
      seen();
      if (message.focus) focusFirst();
      return;
    case 'closed':
      isOpen = false;
      return;
    case 'identify':
      client?.identify(message.identity);
      return;
  }
});
window.addEventListener('focus', () => {
  isOpen = true;
  seen();
});

if (window.parent === window) start(null);
else toLoader({ plauder: 1, type: 'ready' });
