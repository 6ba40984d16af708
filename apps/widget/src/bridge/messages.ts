/**
 * The one message union between the loader (on the site's page) and the chat window (in its iframe,
 * on the chat origin). Both sides pin the other's origin and window; a message that does not parse
 * as one of these is ignored. Hand-written checks instead of a schema library keep the loader small.
 */

/** What the visitor told `Plauder.identify`; held in memory and sent only after consent. */
export interface Identity {
  name?: string;
  email?: string;
}

/**
 * What keeps a conversation across page loads: the window's visitor token and conversation. The
 * window hands it to the loader, which keeps it in the site's localStorage — browsers deny or
 * partition storage in embedded frames — written only after the visitor's first message, removed when
 * the conversation ends or is deleted.
 */
export interface SavedConversation {
  token: string;
  /** When the token expires (epoch ms); the conversation cannot be resumed after it. */
  expiresAt: number;
  conversationId: string;
  /** The consent the visitor gave, so a reload does not ask again. */
  consent?: { version: string };
}

/** The events a site may follow with `Plauder.on`: no message content ever leaves the window. */
export type WidgetEventName = 'ready' | 'open' | 'close' | 'message' | 'conversation.started' | 'conversation.closed';

/** Loader → window. */
export type ToWindow =
  /**
   * The answer to `ready`: the conversation saved by an earlier page, if any, and the page the
   * visitor is on — origin and path only, never its query or fragment.
   */
  | { plauder: 1; type: 'init'; saved: SavedConversation | null; pageUrl?: string }
  /** The window is shown; `focus`: the visitor opened it, so the keyboard moves into it. */
  | { plauder: 1; type: 'opened'; focus: boolean }
  | { plauder: 1; type: 'closed' }
  | { plauder: 1; type: 'identify'; identity: Identity };

/** Window → loader. */
export type ToLoader =
  | { plauder: 1; type: 'ready' }
  | { plauder: 1; type: 'close' }
  | { plauder: 1; type: 'unread'; count: number }
  /** Keep this conversation for the next page load (null: forget it). */
  | { plauder: 1; type: 'persist'; saved: SavedConversation | null }
  | { plauder: 1; type: 'event'; name: WidgetEventName; detail?: { authorKind?: string } };

const EVENT_NAMES = new Set<string>([
  'ready',
  'open',
  'close',
  'message',
  'conversation.started',
  'conversation.closed',
]);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

const optionalString = (value: unknown): value is string | undefined =>
  value === undefined || (typeof value === 'string' && value.length <= 320);

/** A saved conversation, or undefined when `value` is none (or has expired). */
export function parseSavedConversation(value: unknown, now: number = Date.now()): SavedConversation | undefined {
  const saved = record(value);
  if (!saved) return undefined;
  const { token, expiresAt, conversationId } = saved;
  if (typeof token !== 'string' || token.length > 2000 || typeof conversationId !== 'string') return undefined;
  if (typeof expiresAt !== 'number' || expiresAt <= now || conversationId.length > 64) return undefined;
  const version = record(saved.consent)?.version;
  return {
    token,
    expiresAt,
    conversationId,
    ...(typeof version === 'string' && version.length <= 64 ? { consent: { version } } : {}),
  };
}

/** An http(s) page address without query and fragment, at most 2048 characters; else undefined. */
export function parsePageUrl(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 2048 && /^https?:\/\/[^\s?#]+$/.test(value) ? value : undefined;
}

/** A message for the window, or undefined when `data` is none. */
export function parseToWindow(data: unknown): ToWindow | undefined {
  const message = record(data);
  if (message?.plauder !== 1) return undefined;
  switch (message.type) {
    case 'init': {
      const pageUrl = parsePageUrl(message.pageUrl);
      return {
        plauder: 1,
        type: 'init',
        saved: parseSavedConversation(message.saved) ?? null,
        ...(pageUrl ? { pageUrl } : {}),
      };
    }
    case 'opened':
      return { plauder: 1, type: 'opened', focus: message.focus === true };
    case 'closed':
      return { plauder: 1, type: 'closed' };
    case 'identify': {
      const identity = record(message.identity);
      if (!identity || !optionalString(identity.name) || !optionalString(identity.email)) return undefined;
      return { plauder: 1, type: 'identify', identity: { name: identity.name, email: identity.email } };
    }
    default:
      return undefined;
  }
}

/** A message for the loader, or undefined when `data` is none. */
export function parseToLoader(data: unknown): ToLoader | undefined {
  const message = record(data);
  if (message?.plauder !== 1) return undefined;
  switch (message.type) {
    case 'ready':
    case 'close':
      return { plauder: 1, type: message.type };
    case 'unread':
      return typeof message.count === 'number' && message.count >= 0
        ? { plauder: 1, type: 'unread', count: Math.floor(message.count) }
        : undefined;
    case 'persist': {
      const saved = message.saved === null ? null : parseSavedConversation(message.saved);
      return saved === undefined ? undefined : { plauder: 1, type: 'persist', saved };
    }
    case 'event': {
      if (typeof message.name !== 'string' || !EVENT_NAMES.has(message.name)) return undefined;
      const authorKind = record(message.detail)?.authorKind;
      return {
        plauder: 1,
        type: 'event',
        // Checked against EVENT_NAMES just above.
        name: message.name as WidgetEventName,
        ...(typeof authorKind === 'string' ? { detail: { authorKind } } : {}),
      };
    }
    default:
      return undefined;
  }
}
