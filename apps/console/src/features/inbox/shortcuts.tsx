/** The inbox's keyboard shortcuts, and the list that shows them. */
import { useEffect } from 'preact/hooks';

/** A shortcut: its key, what it does, and the action. */
export interface Shortcut {
  key: string;
  label: string;
  run: () => void;
}

/** The shortcuts of the inbox, in the order the list shows them. */
export const SHORTCUT_KEYS = [
  ['j', 'Next conversation'],
  ['k', 'Previous conversation'],
  ['r', 'Focus the composer (reply)'],
  ['n', 'Write an internal note'],
  ['a', 'Accept the waiting conversation'],
  ['e', 'Close the conversation'],
  ['1–4', 'Waiting, Mine, All open, Closed'],
  ['/', 'In the composer: pick a canned response'],
  ['?', 'Show this list'],
  ['Esc', 'Leave the composer'],
] as const;

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

/** Runs a shortcut on its key, unless the operator is typing (Escape leaves a field). */
export function useShortcuts(shortcuts: readonly Shortcut[]): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && isTyping(event.target)) {
        (event.target as HTMLElement).blur();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      // A dialog in front (this list, a confirmation) keeps the keys from the inbox behind it.
      if (document.querySelector('[role=dialog]')) return;
      const shortcut = shortcuts.find((s) => s.key === event.key);
      if (!shortcut) return;
      event.preventDefault();
      shortcut.run();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [shortcuts]);
}

/** The visible list of shortcuts. */
export function ShortcutList(props: { onClose: () => void }) {
  return (
    <div class="dialog-backdrop" onClick={props.onClose}>
      <div
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcuts-title"
        onClick={(event) => event.stopPropagation()}
      >
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <dl class="shortcuts">
          {SHORTCUT_KEYS.map(([key, label]) => (
            <>
              <dt>
                <kbd>{key}</kbd>
              </dt>
              <dd>{label}</dd>
            </>
          ))}
        </dl>
        <button type="button" onClick={props.onClose} autoFocus>
          Close
        </button>
      </div>
    </div>
  );
}
