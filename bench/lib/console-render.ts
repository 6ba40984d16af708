import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from '../../e2e/src/support/browser.js';
import { RENDER_PAGE_GLOBAL, type RenderKind, type RenderSample } from './console-page-contract.js';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const PAGE_ENTRY = here('../console-page/render-page.tsx');
const CONSOLE_CSS = here('../../apps/console/src/console.css');
const PROTOCOL_SOURCE = here('../../packages/protocol/src/');

/** The window the console is measured in: a laptop's, as operators use it. */
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * Bundles the bench page as one classic script, the console's sources as Vite builds them: JSX for
 * Preact, and the protocol's two client helpers from source (apps/console/vite.config.ts).
 */
export async function bundleRenderPage(): Promise<string> {
  const result = await build({
    entryPoints: [PAGE_ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    legalComments: 'none',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    alias: {
      '@plauder/protocol/ids': `${PROTOCOL_SOURCE}ids.ts`,
      '@plauder/protocol/backoff': `${PROTOCOL_SOURCE}backoff.ts`,
    },
    logLevel: 'warning',
  });
  const script = result.outputFiles[0];
  if (!script) throw new Error(`esbuild wrote nothing for ${PAGE_ENTRY}`);
  return script.text;
}

/** The bench page open in Chromium. */
export interface RenderSession {
  /** The bundled page script, bytes. */
  readonly scriptBytes: number;
  /** One timed render of a kind (bench/console-page/render-page.tsx). */
  measure(kind: RenderKind): Promise<RenderSample>;
  close(): Promise<void>;
}

/** A sample as the page answered it, checked: an evaluate result is whatever the page returned. */
function sampleOf(kind: RenderKind, answer: unknown): RenderSample {
  const sample = answer as Partial<RenderSample> | null;
  const numbers = [sample?.ms, sample?.drawn, sample?.heightPx];
  if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) {
    throw new Error(`The bench page answered ${JSON.stringify(answer)} for ${kind}, not a render sample`);
  }
  // Checked just above: three finite numbers.
  return sample as RenderSample;
}

/**
 * Opens the bench page in Debian's Chromium (the e2e launcher and its flags): an empty document
 * from `setContent`, the console's CSS as a `<style>`, the bundled page as a `<script>`. No server.
 */
export async function openRenderSession(): Promise<RenderSession> {
  const script = await bundleRenderPage();
  const browser = await launchChromium();
  const errors: string[] = [];
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setContent('<!doctype html><html lang="en"><head><meta charset="utf-8"></head><body></body></html>');
    await page.addStyleTag({ content: readFileSync(CONSOLE_CSS, 'utf8') });
    await page.addScriptTag({ content: script });
    const failIfErrors = () => {
      if (errors.length > 0) throw new Error(`The bench page failed: ${errors.join('; ')}`);
    };
    failIfErrors();
    return {
      scriptBytes: Buffer.byteLength(script),
      async measure(kind) {
        const answer = await page.evaluate(
          async ([name, which]) => {
            // The page's global (bench/console-page/render-page.tsx); absent if its script failed.
            const bench = (globalThis as unknown as Record<string, { measure(kind: string): Promise<unknown> }>)[name];
            if (!bench) throw new Error(`The bench page has no ${name}`);
            return bench.measure(which);
          },
          [RENDER_PAGE_GLOBAL, kind] as const,
        );
        failIfErrors();
        return sampleOf(kind, answer);
      },
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** The samples of a value and its baseline, the warm-ups left out. */
export interface AlternatedSamples {
  readonly value: RenderSample[];
  readonly baseline: RenderSample[];
}

/**
 * Renders `value` and `baseline` in turns, `warmups` + `runs` times each, every other time the
 * baseline first, so a burst of load from another process or a garbage collection falls on both
 * sides alike. The first `warmups` of each (JIT, style caches) are discarded.
 */
export async function alternate(
  session: RenderSession,
  options: { value: RenderKind; baseline: RenderKind; warmups: number; runs: number },
): Promise<AlternatedSamples> {
  const value: RenderSample[] = [];
  const baseline: RenderSample[] = [];
  for (let run = 0; run < options.warmups + options.runs; run++) {
    const order = run % 2 === 0 ? (['value', 'baseline'] as const) : (['baseline', 'value'] as const);
    for (const side of order) {
      const sample = await session.measure(options[side]);
      if (run >= options.warmups) (side === 'value' ? value : baseline).push(sample);
    }
  }
  return { value, baseline };
}
