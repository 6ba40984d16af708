/**
 * What the console's bench page (bench/console-page/render-page.tsx, run in Chromium) offers the
 * bench process: one global with a `measure` per kind of render. Shared by both sides, so neither
 * names a kind the other does not know.
 */

/** The global the page sets. */
export const RENDER_PAGE_GLOBAL = 'plauderConsoleBench';

/** The renders the page times: the console's components and the plain `<div>`s they are held against. */
export const RENDER_KINDS = ['transcript', 'transcript-full', 'transcript-divs', 'inbox', 'inbox-divs'] as const;
/** A kind of render. */
export type RenderKind = (typeof RENDER_KINDS)[number];

/** One timed render. */
export interface RenderSample {
  /** From before the render call to the end of a forced layout, ms (`performance.now()`). */
  readonly ms: number;
  /** How many messages, rows or divs were in the DOM when the time was taken. */
  readonly drawn: number;
  /** The height of what was laid out, px; 0 would mean nothing was. */
  readonly heightPx: number;
}

/** The page's global. */
export interface RenderPage {
  /** Renders one kind into a fresh container, times it, then unmounts it and lets the page settle. */
  measure(kind: RenderKind): Promise<RenderSample>;
}
