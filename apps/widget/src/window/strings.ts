import type { WidgetConfig } from '@plauder/protocol';
import type { Language } from '../language.js';

/**
 * The revision of the built-in privacy notice's text. Raise it when the words below change: the
 * consent record names the version the visitor accepted (`en-1`). An account's own text has its own
 * version (`privacy.noticeVersion` of the config).
 */
export const NOTICE_REVISION = 1;

const en = {
  title: 'Chat',
  team: 'Support',
  close: 'Close the chat window',
  greeting: 'Hello! How can we help you?',
  notice:
    'Your messages and files are stored encrypted by the operator of this website to answer you, and deleted after the retention period. You can download or delete this conversation at any time.',
  policy: 'Privacy policy',
  accept: 'Accept and start chatting',
  composer: 'Your message',
  send: 'Send',
  attach: 'Send a file',
  you: 'You',
  sending: 'Sending…',
  sent: 'Sent',
  read: 'Read',
  failed: 'Not sent',
  typing: (name: string) => `${name} is typing…`,
  queue: (position: number) =>
    position <= 1 ? 'You are next; an operator will be with you shortly.' : `You are number ${position} in line.`,
  waiting: 'Waiting for an operator…',
  joined: (name: string) => `${name} joined the conversation.`,
  reconnecting: 'Connection lost. Reconnecting…',
  end: 'End conversation',
  ended: 'This conversation has ended.',
  rate: 'How was this conversation?',
  stars: (n: number) => `${n} of 5`,
  comment: 'Anything to add? (optional)',
  rateSend: 'Send rating',
  rated: 'Thank you for your rating.',
  transcript: 'Download transcript',
  transcriptEmail: 'Email me the transcript',
  transcriptTo: 'Your email',
  transcriptSend: 'Send transcript',
  transcriptEmailed: 'The transcript is on its way to your inbox.',
  remove: 'Delete this conversation',
  removeConfirm: 'Delete this conversation for good? It is erased on the server and cannot be restored.',
  removeYes: 'Yes, delete it',
  removeNo: 'Keep it',
  ownData: 'Download my data',
  removed: 'This conversation was deleted.',
  newConversation: 'Start a new conversation',
  offlineTitle: 'Nobody is available right now. Leave us a message and we will get back to you.',
  offlineHours: 'We are outside our business hours. Leave us a message and we will get back to you.',
  email: 'Your email (optional, for our answer)',
  offlineSend: 'Send message',
  offlineSent: 'Thank you. Your message was sent.',
  image: (name: string) => `Image: ${name}`,
  download: (name: string) => `Download ${name}`,
  errors: {
    consent_required: 'Please accept the privacy notice first.',
    origin_not_allowed: 'This chat is not available on this website.',
    rate_limited: 'You are sending too fast. Please wait a moment.',
    message_too_long: 'This message is too long.',
    payload_too_large: 'This file is too large.',
    unsupported_file_type: 'Files of this type cannot be sent.',
    too_many_conversations: 'You have too many open conversations.',
    not_found: 'This chat is not available.',
    function_inactive: 'This website does not send transcripts by email.',
    unavailable: 'No connection right now. Please try again in a moment.',
    other: 'Something went wrong. Please try again.',
    // Looked up by the error code the server sent, which may be one without its own words here.
  } as Record<string, string>,
};

const de: typeof en = {
  title: 'Chat',
  team: 'Support',
  close: 'Chatfenster schließen',
  greeting: 'Hallo! Wie können wir Ihnen helfen?',
  notice:
    'Ihre Nachrichten und Dateien werden vom Betreiber dieser Website verschlüsselt gespeichert, um Ihnen zu antworten, und nach Ablauf der Aufbewahrungsfrist gelöscht. Sie können dieses Gespräch jederzeit herunterladen oder löschen.',
  policy: 'Datenschutzerklärung',
  accept: 'Zustimmen und Chat beginnen',
  composer: 'Ihre Nachricht',
  send: 'Senden',
  attach: 'Datei senden',
  you: 'Sie',
  sending: 'Wird gesendet…',
  sent: 'Gesendet',
  read: 'Gelesen',
  failed: 'Nicht gesendet',
  typing: (name: string) => `${name} schreibt…`,
  queue: (position: number) =>
    position <= 1 ? 'Sie sind als Nächstes an der Reihe.' : `Sie sind Nummer ${position} in der Warteschlange.`,
  waiting: 'Warten auf einen Mitarbeiter…',
  joined: (name: string) => `${name} ist dem Gespräch beigetreten.`,
  reconnecting: 'Verbindung verloren. Neuer Versuch…',
  end: 'Gespräch beenden',
  ended: 'Dieses Gespräch ist beendet.',
  rate: 'Wie war dieses Gespräch?',
  stars: (n: number) => `${n} von 5`,
  comment: 'Möchten Sie etwas ergänzen? (optional)',
  rateSend: 'Bewertung senden',
  rated: 'Danke für Ihre Bewertung.',
  transcript: 'Verlauf herunterladen',
  transcriptEmail: 'Verlauf per E-Mail senden',
  transcriptTo: 'Ihre E-Mail-Adresse',
  transcriptSend: 'Verlauf senden',
  transcriptEmailed: 'Der Verlauf ist unterwegs in Ihr Postfach.',
  remove: 'Dieses Gespräch löschen',
  removeConfirm:
    'Dieses Gespräch endgültig löschen? Es wird auf dem Server gelöscht und kann nicht wiederhergestellt werden.',
  removeYes: 'Ja, löschen',
  removeNo: 'Behalten',
  ownData: 'Meine Daten herunterladen',
  removed: 'Dieses Gespräch wurde gelöscht.',
  newConversation: 'Neues Gespräch beginnen',
  offlineTitle: 'Gerade ist niemand erreichbar. Hinterlassen Sie uns eine Nachricht, wir melden uns.',
  offlineHours: 'Wir sind außerhalb unserer Geschäftszeiten. Hinterlassen Sie uns eine Nachricht, wir melden uns.',
  email: 'Ihre E-Mail-Adresse (optional, für unsere Antwort)',
  offlineSend: 'Nachricht senden',
  offlineSent: 'Danke. Ihre Nachricht wurde gesendet.',
  image: (name: string) => `Bild: ${name}`,
  download: (name: string) => `${name} herunterladen`,
  errors: {
    consent_required: 'Bitte stimmen Sie zuerst dem Datenschutzhinweis zu.',
    origin_not_allowed: 'Dieser Chat ist auf dieser Website nicht verfügbar.',
    rate_limited: 'Sie senden zu schnell. Bitte warten Sie einen Moment.',
    message_too_long: 'Diese Nachricht ist zu lang.',
    payload_too_large: 'Diese Datei ist zu groß.',
    unsupported_file_type: 'Dateien dieser Art können nicht gesendet werden.',
    too_many_conversations: 'Sie haben zu viele offene Gespräche.',
    not_found: 'Dieser Chat ist nicht verfügbar.',
    function_inactive: 'Diese Website versendet keine Verläufe per E-Mail.',
    unavailable: 'Gerade keine Verbindung. Bitte versuchen Sie es gleich noch einmal.',
    other: 'Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.',
  },
};

/** The window's words in each language. */
export const STRINGS = { en, de };
/** The window's words in one language. */
export type Strings = typeof en;

/**
 * The version of the notice the visitor accepts, recorded with the conversation: the one the config
 * announces for the account's own text, or the built-in notice's language and revision.
 */
export function noticeVersion(privacy: WidgetConfig['privacy'], language: Language): string {
  return privacy.noticeVersion ?? `${language}-${NOTICE_REVISION}`;
}
