/**
 * The console bench's page, bundled by bench/lib/console-render.ts and run in Chromium: the real
 * console components (the transcript with a real `Live`, the inbox) and, against them, the same
 * number of plain `<div>`s. Each render is timed from before the render call to the end of a forced
 * layout, in a fresh container that is emptied and removed again before the next one.
 */
import type { SessionDto } from '@plauder/protocol';
import { render } from 'preact';
import { Api } from '../../apps/console/src/api.js';
import { MessageList, Transcript } from '../../apps/console/src/features/conversation/transcript.js';
import { InboxPage } from '../../apps/console/src/features/inbox/inbox-page.js';
import { shortTime } from '../../apps/console/src/lib/time.js';
import { Live } from '../../apps/console/src/live/live.js';
import { newThread, type Thread } from '../../apps/console/src/live/thread.js';
import {
  RENDER_PAGE_GLOBAL,
  type RenderKind,
  type RenderPage,
  type RenderSample,
} from '../lib/console-page-contract.js';
import {
  BENCH_OPERATOR_ID,
  syntheticInbox,
  syntheticMessages,
  TRANSCRIPT_CONVERSATION_ID,
} from '../lib/console-workload.js';

const now = Date.now();
const api = new Api();
// Opens no socket until start(), which the bench never calls; its markRead sends nothing unconnected.
const live = new Live(api, BENCH_OPERATOR_ID, 'Bench');
const inboxItems = syntheticInbox({ operatorId: BENCH_OPERATOR_ID, now });
live.inbox.set(new Map(inboxItems.map((item) => [item.id, item])));
const thread: Thread = {
  ...newThread(TRANSCRIPT_CONVERSATION_ID),
  messages: syntheticMessages({ now }),
  loaded: true,
  // The visitor has read all but the last few: both of the operator messages' states show.
  visitorReadSeq: 1990,
};
const session: SessionDto = {
  operator: {
    id: BENCH_OPERATOR_ID,
    accountId: 'account-bench',
    email: 'bench@example.com',
    displayName: 'Bench',
    role: 'admin',
    totpEnabled: false,
    capacity: 5,
    createdAt: now,
  },
  csrfToken: 'bench',
  expiresAt: now + 3_600_000,
};

// The plain divs' texts, made before any timing: the bodies, and what an inbox row says.
const bodies = thread.messages.map((message) => message.body);
const rowTexts = inboxItems.map(
  (item) => `${item.contactName ?? 'Visitor'} · ${item.status} · ${shortTime(item.updatedAt)}`,
);

/** Where and how one kind renders. */
interface Stage {
  /** The container's class and inline style: the box the console would give the component. */
  className: string;
  style: string;
  draw(container: HTMLElement): void;
  /** What counts as drawn: messages, rows, divs. */
  items: string;
  /** The scrolling box whose content height is reported. */
  scroller: string;
  clear(container: HTMLElement): void;
}

// The conversation's column in a 1,280 px window: the list (300 px) and the visitor panel (280 px) beside it.
const CONVERSATION_COLUMN = 'display: flex; flex-direction: column; width: 700px; height: 100vh';
const unmount = (container: HTMLElement) => render(null, container);
const empty = (container: HTMLElement) => container.replaceChildren();

/** The baseline: one `<div>` per text in a scrolling box, made with plain DOM calls. */
function drawDivs(container: HTMLElement, texts: readonly string[], width: string): void {
  const list = document.createElement('div');
  list.className = 'plain';
  // pre-wrap as the transcript's bodies, so the same line breaks are laid out.
  list.setAttribute('style', `flex: 1; min-height: 0; overflow-y: auto; white-space: pre-wrap; width: ${width}`);
  for (const text of texts) {
    const div = document.createElement('div');
    div.textContent = text;
    list.append(div);
  }
  container.append(list);
}

const stages: Record<RenderKind, Stage> = {
  transcript: {
    className: '',
    style: CONVERSATION_COLUMN,
    draw: (container) => render(<Transcript api={api} live={live} thread={thread} me={BENCH_OPERATOR_ID} />, container),
    items: 'li.message',
    scroller: '.transcript',
    clear: unmount,
  },
  'transcript-full': {
    className: '',
    style: CONVERSATION_COLUMN,
    draw: (container) =>
      render(
        <div class="transcript">
          <MessageList messages={thread.messages} readUpTo={thread.visitorReadSeq} />
        </div>,
        container,
      ),
    items: 'li.message',
    scroller: '.transcript',
    clear: unmount,
  },
  'transcript-divs': {
    className: '',
    style: CONVERSATION_COLUMN,
    draw: (container) => drawDivs(container, bodies, 'auto'),
    items: '.plain > div',
    scroller: '.plain',
    clear: empty,
  },
  inbox: {
    // The shell's box (100vh, a column), as the console puts the inbox in it.
    className: 'shell',
    style: '',
    draw: (container) =>
      render(<InboxPage api={api} live={live} session={session} view="open" conversationId={undefined} />, container),
    items: '.virtual-list [role="listitem"]',
    scroller: '.virtual-list',
    clear: unmount,
  },
  'inbox-divs': {
    className: 'shell',
    style: '',
    draw: (container) => drawDivs(container, rowTexts, '300px'),
    items: '.plain > div',
    scroller: '.plain',
    clear: empty,
  },
};

/** Resolves after the next frame and a task: effects of the last render have run, the page has painted. */
const settle = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

async function measure(kind: RenderKind): Promise<RenderSample> {
  const stage = stages[kind];
  const container = document.createElement('div');
  container.className = stage.className;
  container.setAttribute('style', stage.style);
  document.body.append(container);
  // The empty container's own layout stays out of the timing.
  document.body.getBoundingClientRect();
  await settle();

  const started = performance.now();
  stage.draw(container);
  // Forces style and layout of the whole page: what the first frame needs before it can paint.
  document.body.getBoundingClientRect();
  const ms = performance.now() - started;

  const drawn = container.querySelectorAll(stage.items).length;
  const heightPx = container.querySelector(stage.scroller)?.scrollHeight ?? 0;
  await settle();
  await settle();
  stage.clear(container);
  container.remove();
  await settle();
  return { ms, drawn, heightPx };
}

const page: RenderPage = { measure };
Object.assign(globalThis, { [RENDER_PAGE_GLOBAL]: page });
