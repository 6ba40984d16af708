import type { WidgetConfig } from '@plauder/protocol';
import { widgetLanguage } from '../language.js';

/** The button's words in the languages the widget speaks. */
const LABELS = {
  en: { label: 'Chat', open: 'Open the chat', close: 'Close the chat', window: 'Chat window', unread: 'unread' },
  de: { label: 'Chat', open: 'Chat öffnen', close: 'Chat schließen', window: 'Chatfenster', unread: 'ungelesen' },
};

/**
 * The shadow root's style: the button in its corner, and the window's frame above it, full screen on
 * small screens. Colors come from the config, which the installation validated as `#rrggbb`.
 */
export function buttonStyles(config: WidgetConfig): string {
  const side = config.position === 'left' ? 'left' : 'right';
  return `
.button{position:fixed;bottom:20px;${side}:20px;z-index:2147483646;display:flex;align-items:center;gap:8px;
padding:0 20px;height:52px;border:0;border-radius:26px;background:${config.color};color:${config.textColor};
font:600 16px/1 system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.button:focus-visible{outline:3px solid ${config.color};outline-offset:3px;box-shadow:0 0 0 3px #fff}
.badge{min-width:20px;height:20px;border-radius:10px;background:#fff;color:#000;font-size:12px;line-height:20px}
.badge:empty{display:none}
.frame{position:fixed;bottom:84px;${side}:20px;z-index:2147483647;width:370px;height:min(600px,calc(100vh - 104px));
border:0;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);background:#fff;display:none}
.frame.open{display:block}
@media (max-width:480px){.frame{inset:0;width:100%;height:100%;border-radius:0}}
@media (prefers-reduced-motion:no-preference){.button{transition:transform .15s}.button:hover{transform:scale(1.05)}}`;
}

/** The chat button: a real `<button>`, so it is reachable and usable by keyboard. */
export function createButton(config: WidgetConfig, browserLanguage: string) {
  const labels = LABELS[widgetLanguage(config.language, browserLanguage)];
  const element = document.createElement('button');
  element.type = 'button';
  element.className = 'button';
  element.setAttribute('aria-controls', 'plauder-window');
  const text = document.createElement('span');
  text.textContent = config.buttonLabel ?? labels.label;
  const badge = document.createElement('span');
  badge.className = 'badge';
  element.append(text, badge);
  const setExpanded = (expanded: boolean): void => {
    element.setAttribute('aria-expanded', String(expanded));
    element.setAttribute('aria-label', `${text.textContent ?? ''}: ${expanded ? labels.close : labels.open}`);
  };
  setExpanded(false);
  return {
    element,
    windowTitle: labels.window,
    setExpanded,
    /** Shows how many operator messages came while the window was closed. */
    setUnread(count: number): void {
      badge.textContent = count > 0 ? String(count) : '';
      badge.setAttribute('aria-label', count > 0 ? `${count} ${labels.unread}` : '');
    },
  };
}
