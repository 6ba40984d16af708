import type { ShownMessage } from './chat-client.js';

/**
 * The conversation as plain text, one line a message with its time (in the browser's zone), for the
 * visitor to download. Built in the browser from what the window shows: the server sends nothing new.
 */
export function transcriptText(input: {
  messages: readonly ShownMessage[];
  you: string;
  team: string;
  locale: string;
}): string {
  const time = new Intl.DateTimeFormat(input.locale, { dateStyle: 'short', timeStyle: 'short' });
  return input.messages
    .filter((m) => !m.failed)
    .map((m) => {
      const who = m.authorKind === 'visitor' ? input.you : (m.operatorName ?? input.team);
      return `[${time.format(m.createdAt)}] ${who}: ${m.body}`;
    })
    .join('\n')
    .concat('\n');
}

/** Offers a text as a file download. */
export function downloadText(fileName: string, text: string): void {
  downloadBlob(fileName, new Blob([text], { type: 'text/plain;charset=utf-8' }));
}

/** Offers bytes as a file download. */
export function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
