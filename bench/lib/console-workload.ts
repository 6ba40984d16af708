/**
 * The console bench's workload: a 2,000-message transcript and 500 open conversations, made up but
 * shaped like real ones (bodies from a word to several paragraphs, visitor and operator taking
 * turns, some internal notes and system lines). Seeded, so every run draws the same data.
 */
import type { MessageDto } from '@plauder/protocol';
import type { InboxItem } from '../../apps/console/src/live/inbox.js';

/** Messages of the long transcript (the 2,000). */
export const TRANSCRIPT_MESSAGES = 2000;
/** Open conversations in the inbox (the 500). */
export const OPEN_CONVERSATIONS = 500;
/** The signed-in operator of the bench page. */
export const BENCH_OPERATOR_ID = '0190a000-0000-7000-8000-000000000001';
/** The conversation of the long transcript (not one of the inbox's). */
export const TRANSCRIPT_CONVERSATION_ID = '0190a000-0000-7000-8000-00000000c0de';

/** A small seeded generator (mulberry32): numbers in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

const visitorSentences = [
  'Hi, I ordered a rain jacket last Tuesday and the tracking page has not changed since Friday.',
  'The order number is 48213-AX.',
  'ok',
  'Thanks!',
  'Is there a way to change the delivery address? I will be at my parents’ place next week.',
  'I tried to log in on my phone but it keeps saying the code expired, even though I typed it within a minute.',
  'Could you check whether size M is back in stock?',
  'That worked, thank you so much.',
  'Sorry, one more question.',
  'The invoice shows the wrong VAT number, our company is registered in Austria, not Germany.',
  'We are a team of twelve and would like to move to the yearly plan before the price change.',
  'Hmm, no, still the same error.',
  'Here is what the screen says: “Payment could not be authorised (code 05)”.',
  'yes',
  'Can I return an item I already washed once? It shrank quite a bit.',
  'No rush, I can wait until tomorrow.',
];

const operatorSentences = [
  'Hello, thanks for reaching out!',
  'I am sorry about the wait; let me look at your order.',
  'I can see the parcel left our warehouse on Friday and is with the carrier now.',
  'I have changed the delivery address for you; you will get a confirmation email in a few minutes.',
  'Could you tell me which browser you are using, and whether the error appears in a private window too?',
  'Size M comes back in stock on the 14th, and I can reserve one for you if you like.',
  'Sure.',
  'Of course, we take returns within 30 days as long as the label is still attached.',
  'I have forwarded this to our billing team; they will send a corrected invoice by Thursday.',
  'Is there anything else I can help you with today?',
  'One moment please.',
  'That code means the bank declined the payment; it is usually resolved by confirming it in your banking app.',
];

const noteSentences = [
  'Repeat customer, third order this year: offer free shipping on the reship.',
  'Billing ticket filed, waiting for Jonas to confirm the VAT change.',
  'Do not promise a date before the warehouse answers.',
  'Same payment error as yesterday’s conversation with the Vienna office; looks like their bank.',
];

const systemLines = [
  'The conversation was assigned to Ada.',
  'The conversation was transferred to Jonas.',
  'The visitor left the page.',
];

const operatorNames = ['Ada', 'Jonas', 'Mira', 'Bench'];
const contactNames = ['Lena Hoffmann', 'Samir Haddad', 'Ana Souza', 'Tomasz Nowak', 'Chloé Martin', 'Kenji Mori'];

/** A body of 1 to 12 sentences; a few long ones in paragraphs, as pasted error reports and long answers come. */
function bodyOf(random: () => number, sentences: readonly string[]): string {
  const size = random();
  const count = size < 0.45 ? 1 : size < 0.85 ? 2 + Math.floor(random() * 2) : 4 + Math.floor(random() * 9);
  const parts = Array.from({ length: count }, () => pick(random, sentences));
  if (count < 6) return parts.join(' ');
  const split = Math.floor(count / 2);
  return `${parts.slice(0, split).join(' ')}\n\n${parts.slice(split).join(' ')}`;
}

/**
 * The long transcript: `count` messages, about 48% visitor, 44% operator, 5% notes and 3% system
 * lines, 90 s apart up to `now` (so 2,000 of them span two days, and both of the transcript's clock
 * formats show).
 */
export function syntheticMessages(options: { count?: number; now?: number } = {}): MessageDto[] {
  const count = options.count ?? TRANSCRIPT_MESSAGES;
  const now = options.now ?? Date.now();
  const random = seeded(2000);
  return Array.from({ length: count }, (_, index): MessageDto => {
    const base = {
      id: `message-${index + 1}`,
      conversationId: TRANSCRIPT_CONVERSATION_ID,
      seq: index + 1,
      createdAt: now - (count - index) * 90_000,
    };
    const who = random();
    if (who < 0.48) return { ...base, authorKind: 'visitor', kind: 'text', body: bodyOf(random, visitorSentences) };
    if (who < 0.92) {
      const body = bodyOf(random, operatorSentences);
      return { ...base, authorKind: 'operator', kind: 'text', body, operatorName: pick(random, operatorNames) };
    }
    if (who < 0.97) {
      const body = bodyOf(random, noteSentences);
      return { ...base, authorKind: 'operator', kind: 'note', body, operatorName: pick(random, operatorNames) };
    }
    return { ...base, authorKind: 'system', kind: 'text', body: pick(random, systemLines) };
  });
}

/**
 * `count` open conversations: 40% held by `operatorId`, the rest by five colleagues; 60% with a
 * contact's name; 30% unread; one in ten an offline message; started in the last week.
 */
export function syntheticInbox(options: { operatorId: string; count?: number; now?: number }): InboxItem[] {
  const count = options.count ?? OPEN_CONVERSATIONS;
  const now = options.now ?? Date.now();
  const random = seeded(500);
  return Array.from({ length: count }, (_, index): InboxItem => {
    const createdAt = now - Math.floor(random() * 7 * 24 * 3_600_000);
    const lastSeq = 1 + Math.floor(random() * 80);
    return {
      id: `0190a000-0000-7000-8000-${index.toString(16).padStart(12, '0')}`,
      widgetId: 'widget-main',
      status: 'open',
      origin: random() < 0.1 ? 'offline_message' : 'chat',
      operatorId:
        random() < 0.4 ? options.operatorId : `0190a000-0000-7000-8000-0000000000a${Math.floor(random() * 5)}`,
      contactName: random() < 0.6 ? pick(random, contactNames) : null,
      lastSeq,
      readSeq: random() < 0.3 ? Math.floor(random() * lastSeq) : lastSeq,
      createdAt,
      updatedAt: createdAt + Math.floor(random() * (now - createdAt)),
      closedAt: null,
      version: 1 + Math.floor(random() * 6),
    };
  });
}
