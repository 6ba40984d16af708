import type { WebhookEvent } from '@plauder/protocol';

/** The events an endpoint can take, in the order the form offers them, each as the console names it. */
export const WEBHOOK_EVENTS: readonly { event: WebhookEvent; label: string }[] = [
  { event: 'conversation.started', label: 'A visitor starts a chat' },
  { event: 'message.created', label: 'A message is sent (not notes)' },
  { event: 'conversation.closed', label: 'A conversation ends' },
  { event: 'offline_message.received', label: 'A visitor leaves an offline message' },
];

/** What an endpoint takes, for its card: "All events", or its events in the form's order. */
export function eventsText(events: readonly WebhookEvent[]): string {
  const taken = WEBHOOK_EVENTS.filter((e) => events.includes(e.event)).map((e) => e.event);
  return taken.length === WEBHOOK_EVENTS.length ? 'All events' : taken.join(', ');
}
