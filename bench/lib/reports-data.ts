/**
 * One year of an account's chats for the reports benchmark, made up from a seeded generator: the raw
 * rows (conversations and messages, as the server stores them, bodies as opaque bytes) and the rollup
 * increments the server's chat changes add for them (start, each message, the first answer, the
 * close, the rating), at the same moments.
 */
import {
  bucketOf,
  DURATION_HISTOGRAM,
  FIRST_RESPONSE_HISTOGRAM,
} from '../../apps/server/src/storage/rollup-histograms.js';
import type { RollupIncrements } from '../../apps/server/src/storage/rollups-repository.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const DAY_MS = 24 * HOUR;

/** Starts per hour of the day (UTC, the account's zone): a working day's shape. */
const HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 20, 17, 18, 20, 19, 16, 12, 9, 7, 5, 4, 3, 2];
const HOUR_TOTAL = HOUR_WEIGHTS.reduce((sum, weight) => sum + weight, 0);
/** How ratings fall: mostly good. */
const RATING_WEIGHTS = [0.05, 0.05, 0.1, 0.3, 0.5];

/** A conversation as generated: its raw row's facts and its messages. */
export interface Chat {
  id: string;
  widgetId: string;
  operatorId: string | null;
  origin: 'chat' | 'offline_message';
  createdAt: number;
  firstResponseAt: number | null;
  closedAt: number;
  rating: number | null;
  messages: { author: 'visitor' | 'operator'; at: number }[];
}

/** mulberry32: a small, fast generator whose sequence a seed fixes. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted(rand: () => number, weights: readonly number[], total = 1): number {
  let pick = rand() * total;
  for (let index = 0; index < weights.length; index++) {
    pick -= weights[index] as number;
    if (pick < 0) return index;
  }
  return weights.length - 1;
}

/** A wait with a long tail: `base` plus an exponential of mean `meanMs`, at most `capMs`. */
function tail(rand: () => number, base: number, meanMs: number, capMs: number): number {
  return Math.min(capMs, Math.round(base - Math.log(1 - rand()) * meanMs));
}

/**
 * The conversations started on one day (from `dayStart`, UTC): `count` of them, on `widgetIds` (the
 * first the busiest) and answered by `operatorIds`. One in ten is an offline message, closed by an
 * operator hours later; of the chats, 88 % are answered and 30 % of those rated.
 */
export function chatsOfDay(
  rand: () => number,
  input: {
    dayStart: number;
    count: number;
    widgetIds: readonly string[];
    operatorIds: readonly string[];
    ids: () => string;
  },
): Chat[] {
  const chats: Chat[] = [];
  for (let n = 0; n < input.count; n++) {
    const hour = weighted(rand, HOUR_WEIGHTS, HOUR_TOTAL);
    const createdAt = input.dayStart + hour * HOUR + Math.floor(rand() * HOUR);
    const widgetPick = rand();
    const widgetId = input.widgetIds[widgetPick < 0.6 ? 0 : widgetPick < 0.85 ? 1 : 2] as string;
    const operatorId = input.operatorIds[Math.floor(rand() * input.operatorIds.length)] as string;
    if (rand() < 0.1) {
      chats.push({
        id: input.ids(),
        widgetId,
        operatorId,
        origin: 'offline_message',
        createdAt,
        firstResponseAt: null,
        closedAt: createdAt + tail(rand, HOUR, 6 * HOUR, 3 * DAY_MS),
        rating: null,
        messages: [{ author: 'visitor', at: createdAt }],
      });
      continue;
    }
    const answered = rand() < 0.88;
    const firstResponseAt = answered ? createdAt + tail(rand, 3 * SECOND, 40 * SECOND, 2 * HOUR) : null;
    const closedAt = answered
      ? (firstResponseAt as number) + tail(rand, MINUTE, 10 * MINUTE, 8 * HOUR)
      : createdAt + tail(rand, 30 * SECOND, 5 * MINUTE, HOUR);
    const messages: Chat['messages'] = [{ author: 'visitor', at: createdAt + SECOND }];
    const between = (from: number) => from + Math.floor(rand() * Math.max(1, closedAt - from));
    for (let extra = Math.floor(rand() * 4); extra > 0; extra--)
      messages.push({ author: 'visitor', at: between(createdAt + SECOND) });
    if (firstResponseAt !== null) {
      messages.push({ author: 'operator', at: firstResponseAt });
      for (let extra = Math.floor(rand() * 4); extra > 0; extra--) {
        messages.push({ author: 'operator', at: between(firstResponseAt + 1) });
      }
    }
    messages.sort((a, b) => a.at - b.at);
    chats.push({
      id: input.ids(),
      widgetId,
      operatorId: answered ? operatorId : null,
      origin: 'chat',
      createdAt,
      firstResponseAt,
      closedAt,
      rating: answered && rand() < 0.3 ? weighted(rand, RATING_WEIGHTS) + 1 : null,
      messages,
    });
  }
  return chats;
}

/**
 * The rollup increments the server adds for a chat, as its chat changes do (start-conversation,
 * leave-offline-message, append-message, close-conversation, rate-conversation).
 */
export function incrementsOf(accountId: string, chat: Chat): RollupIncrements[] {
  const { widgetId } = chat;
  const events: RollupIncrements[] = [];
  if (chat.origin === 'offline_message') {
    events.push({ accountId, at: chat.createdAt, widgetId, increments: { 'offline_messages.received': 1 } });
  } else {
    events.push({ accountId, at: chat.createdAt, widgetId, increments: { 'conversations.started': 1 } });
    for (const message of chat.messages) {
      if (message.author === 'visitor') {
        events.push({ accountId, at: message.at, widgetId, increments: { 'messages.visitor': 1 } });
        continue;
      }
      const increments: Record<string, number> = { 'messages.operator': 1 };
      if (message.at === chat.firstResponseAt) {
        const waitedMs = message.at - chat.createdAt;
        increments['first_response.count'] = 1;
        increments['first_response.total_ms'] = waitedMs;
        increments[FIRST_RESPONSE_HISTOGRAM.metric(bucketOf(FIRST_RESPONSE_HISTOGRAM, waitedMs))] = 1;
      }
      events.push({ accountId, at: message.at, widgetId, operatorId: chat.operatorId, increments });
    }
  }
  const durationMs = chat.closedAt - chat.createdAt;
  const missed = chat.origin === 'chat' && chat.firstResponseAt === null;
  events.push({
    accountId,
    at: chat.closedAt,
    widgetId,
    operatorId: chat.operatorId,
    increments: {
      'conversations.closed': 1,
      'duration.total_ms': durationMs,
      [DURATION_HISTOGRAM.metric(bucketOf(DURATION_HISTOGRAM, durationMs))]: 1,
      ...(missed ? { 'conversations.missed': 1 } : {}),
    },
  });
  if (chat.rating !== null) {
    events.push({
      accountId,
      at: chat.closedAt,
      widgetId,
      operatorId: chat.operatorId,
      increments: { 'ratings.count': 1, 'ratings.sum': chat.rating, [`ratings.r${chat.rating}`]: 1 },
    });
  }
  return events;
}
