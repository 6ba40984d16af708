/**
 * The loader: `<script async src=".../widget/v1/loader.js" data-widget="pk_…"></script>`.
 *
 * On a page view it reads the widget's public configuration (a static file, no credentials) and draws
 * the chat button; it sets no cookie, touches no storage and opens no socket. Only a click (or
 * `Plauder.open()`) creates the chat window, an iframe from the chat origin that does the rest.
 */
import type { WidgetConfig } from '@plauder/protocol';
import {
  parseSavedConversation,
  parseToLoader,
  type Identity,
  type SavedConversation,
  type ToWindow,
  type WidgetEventName,
} from '../bridge/messages.js';
import { buttonStyles, createButton } from './button.js';

type Listener = (detail?: { authorKind?: string }) => void;

/** What the site's scripts get as `window.Plauder`. */
interface PlauderApi {
  open(): void;
  close(): void;
  /** Follows a widget event; returns a function that stops following it. */
  on(event: WidgetEventName, fn: Listener): () => void;
  /** Who the visitor is; kept in memory and sent only after the visitor consented. */
  identify(identity: Identity): void;
}

declare global {
  interface Window {
    Plauder?: PlauderApi;
    /** Set by the first loader on the page, before anything asynchronous. */
    plauderLoader?: true;
  }
}

const script =
  // The loader is always an HTML <script>, never an SVG one.
  (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>('script[data-widget]');
const publicKey = script?.dataset.widget ?? '';
/** The window's saved conversation, in the site's storage (see SavedConversation). */
const storageKey = `plauder:${publicKey}`;

function readSaved(): SavedConversation | undefined {
  try {
    const text = localStorage.getItem(storageKey);
    if (text === null) return undefined;
    const saved = parseSavedConversation(JSON.parse(text));
    // Expired or not ours to read: gone, rather than kept forever.
    if (!saved) localStorage.removeItem(storageKey);
    return saved;
  } catch {
    // Blocked storage or unreadable JSON: the visitor starts from the button.
    return undefined;
  }
}

function writeSaved(saved: SavedConversation | null): void {
  try {
    if (saved) localStorage.setItem(storageKey, JSON.stringify(saved));
    else localStorage.removeItem(storageKey);
  } catch {
    // Blocked storage: the conversation lasts as long as the page.
  }
}

async function start(): Promise<void> {
  if (!script?.src || !/^pk_[A-Za-z0-9_-]{10,64}$/.test(publicKey)) {
    console.error('Plauder: the loader needs data-widget="pk_…" on its script tag');
    return;
  }
  const configUrl = new URL(`config/${publicKey}.json`, script.src);
  const response = await fetch(configUrl, { credentials: 'omit' });
  if (!response.ok) {
    console.error(`Plauder: no widget ${publicKey} (${response.status}); check data-widget`);
    return;
  }
  // The installation serves this file from WidgetSettings; the loader carries no validator (size).
  const config = (await response.json()) as WidgetConfig;
  const siteOrigin = location.origin;
  if (config.allowedOrigins.length > 0 && !config.allowedOrigins.includes(siteOrigin)) {
    console.error(`Plauder: this site (${siteOrigin}) is not among the widget's allowed origins`);
    return;
  }
  mount(config, siteOrigin);
}

function mount(config: WidgetConfig, siteOrigin: string): void {
  const chatOrigin = new URL(config.apiUrl).origin;
  const host = document.createElement('div');
  host.setAttribute('data-plauder', '');
  const root = host.attachShadow({ mode: 'open' });
  const button = createButton(config, navigator.language);
  // A constructed sheet is not inline style to a Content-Security-Policy, so strict sites need no
  // 'unsafe-inline' for the button.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(buttonStyles(config));
  root.adoptedStyleSheets = [sheet];
  root.append(button.element);
  document.body.append(host);

  const listeners = new Map<WidgetEventName, Set<Listener>>();
  const emit = (name: WidgetEventName, detail?: { authorKind?: string }): void =>
    listeners.get(name)?.forEach((fn) => {
      try {
        fn(detail);
      } catch (error) {
        // One site listener's failure does not keep the others from hearing the event.
        console.error('Plauder: an event listener failed', error);
      }
    });
  let frame: HTMLIFrameElement | undefined;
  let ready = false;
  let isOpen = false;
  /** Whether the last opening was the visitor's: the window takes the keyboard focus once it is ready. */
  let focusWanted = false;
  let identity: Identity | undefined;

  const post = (message: ToWindow): void => {
    if (ready) frame?.contentWindow?.postMessage(message, chatOrigin);
  };
  const createFrame = (): HTMLIFrameElement => {
    const element = document.createElement('iframe');
    element.className = 'frame';
    element.title = button.windowTitle;
    element.id = 'plauder-window';
    // The site's origin goes in the fragment: the window pins its messages to it, and no server sees it.
    element.src = `${config.apiUrl}/widget/v1/window/${publicKey}.html#${encodeURIComponent(siteOrigin)}`;
    root.append(element);
    return element;
  };
  /** Shows the window; `focus` moves the keyboard into it (not when a page load reopens it). */
  const show = (focus: boolean): void => {
    frame ??= createFrame();
    if (isOpen) return;
    isOpen = true;
    frame.classList.add('open');
    button.setExpanded(true);
    button.setUnread(0);
    focusWanted = focus;
    if (focus) frame.focus();
    post({ plauder: 1, type: 'opened', focus });
    emit('open');
  };
  const open = (): void => show(true);
  /** Hides the window; the keyboard focus goes back to the button if it was in the window. */
  const close = (): void => {
    if (!isOpen || !frame) return;
    isOpen = false;
    focusWanted = false;
    const hadFocus = root.activeElement === frame;
    frame.classList.remove('open');
    button.setExpanded(false);
    if (hadFocus) button.element.focus();
    post({ plauder: 1, type: 'closed' });
    emit('close');
  };

  button.element.addEventListener('click', () => (isOpen ? close() : open()));
  window.addEventListener('message', (event: MessageEvent) => {
    if (!frame || event.origin !== chatOrigin || event.source !== frame.contentWindow) return;
    const message = parseToLoader(event.data);
    if (!message) return;
    switch (message.type) {
      case 'ready':
        ready = true;
        // The page as the visitor is on it now, without its query or fragment (they may hold tokens).
        post({ plauder: 1, type: 'init', saved: readSaved() ?? null, pageUrl: location.origin + location.pathname });
        if (identity) post({ plauder: 1, type: 'identify', identity });
        // Shown before it was ready: it learns so now.
        if (isOpen) post({ plauder: 1, type: 'opened', focus: focusWanted });
        emit('ready');
        return;
      case 'close':
        close();
        return;
      case 'unread':
        button.setUnread(isOpen ? 0 : message.count);
        return;
      case 'persist':
        writeSaved(message.saved);
        return;
      case 'event':
        emit(message.name, message.detail);
        return;
    }
  });

  window.Plauder = {
    open,
    close,
    on(event, fn) {
      const set = listeners.get(event) ?? new Set<Listener>();
      listeners.set(event, set);
      set.add(fn);
      return () => set.delete(fn);
    },
    identify(next) {
      identity = { name: next.name, email: next.email };
      post({ plauder: 1, type: 'identify', identity });
    },
  };
  window.dispatchEvent(new Event('plauder:ready'));
  // A conversation of an earlier page goes on: reopen the window, without taking the keyboard focus.
  if (readSaved()) show(false);
}

const begin = () => start().catch((error: unknown) => console.error('Plauder: the widget could not start', error));
// Once per page, even when the snippet is there twice; and after the body exists, for a snippet in <head>.
if (!window.plauderLoader) {
  window.plauderLoader = true;
  if (document.body) void begin();
  else document.addEventListener('DOMContentLoaded', () => void begin(), { once: true });
}
