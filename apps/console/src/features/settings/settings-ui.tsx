/**
 * What the settings sections share: errors said plainly, field errors of a `validation_failed`
 * answer, a value to copy, and a button that asks before it acts.
 */
import type { Role } from '@plauder/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, ApiError } from '../../api.js';
import { may } from '../../roles.js';

/** The error of a whole form: a pointer to the fields when they carry the reasons, else what went wrong. */
export function formErrorText(caught: unknown, fields: Map<string, string>): string | null {
  if (!caught) return null;
  return fields.size > 0 ? 'Nothing was saved: correct the marked fields.' : errorText(caught);
}

/**
 * The fields a `validation_failed` answer names, by path below `under` (`settings.color` →
 * `color` for under `settings.`), each with its reason. The API's issues arrive as `details` where
 * the error carries them; otherwise they are read from its message, which names each as
 * `body.PATH REASON` (request schema, separated by "; ") or `Invalid PATH: REASON` (a use case).
 */
export function fieldErrors(caught: unknown, under = ''): Map<string, string> {
  const found = new Map<string, string>();
  if (!(caught instanceof ApiError) || caught.code !== 'validation_failed') return found;
  const add = (path: string, reason: string) => {
    const bare = path.replace(/^body\./, '');
    if (bare.startsWith(under) && !found.has(bare.slice(under.length))) found.set(bare.slice(under.length), reason);
  };
  const details = 'details' in caught ? caught.details : undefined;
  if (Array.isArray(details)) {
    for (const issue of details as unknown[]) {
      if (typeof issue === 'object' && issue !== null && 'path' in issue && 'message' in issue) {
        add(String(issue.path), String(issue.message));
      }
    }
    return found;
  }
  const text = caught.message.replace(/^Invalid (body|request): /, '');
  // A reason may hold "; " itself: a new issue starts where a path does.
  for (const part of text.split(/; (?=(?:body|querystring|params)\b)/)) {
    const match = /^Invalid ([\w.]+): (.+)$/.exec(part) ?? /^([\w.]+) (.+)$/.exec(part);
    if (match?.[1] && match[2]) add(match[1], match[2]);
  }
  return found;
}

/** The roles a signed-in operator may give: the owner role only by an owner. */
export function grantableRoles(role: Role): Role[] {
  return may(role, 'manageOwners') ? ['operator', 'admin', 'owner'] : ['operator', 'admin'];
}

/** A short date and time in the browser's locale. */
export function formatTime(epochMs: number): string {
  return new Date(epochMs).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * A value to copy (a snippet, a link, a secret): shown in full and selectable, with a Copy button.
 * Where the clipboard is not available, the button selects the text for the operator to copy.
 */
export function CopyText(props: { label: string; value: string; multiline?: boolean }) {
  const field = useRef<HTMLTextAreaElement & HTMLInputElement>(null);
  const [status, setStatus] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setStatus('Copied.');
    } catch {
      field.current?.focus();
      field.current?.select();
      setStatus('Selected: press Ctrl+C (⌘C on a Mac) to copy.');
    }
  };
  return (
    <div class="copy-text">
      <label>
        {props.label}
        {props.multiline ? (
          <textarea ref={field} readOnly rows={3} value={props.value} spellcheck={false} />
        ) : (
          <input ref={field} readOnly value={props.value} spellcheck={false} />
        )}
      </label>
      <div class="settings-row">
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <span role="status">{status}</span>
      </div>
    </div>
  );
}

/** A button that asks once more before it acts: "Remove" → "Remove Ada? Yes / Keep". */
export function ConfirmButton(props: { label: string; question: string; confirm: string; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <button type="button" class="settings-danger" onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  return (
    <span class="settings-confirm" role="group" aria-label={props.question}>
      <span>{props.question}</span>
      <button
        type="button"
        class="settings-danger"
        ref={yes}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirm}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** An error line under a form or a field; nothing without one. */
export function ErrorLine(props: { text: string | null | undefined; id?: string }) {
  if (!props.text) return null;
  return (
    <p role="alert" class="error" id={props.id}>
      {props.text}
    </p>
  );
}
