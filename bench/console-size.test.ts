import { describe, expect, it } from 'vitest';
import { INITIAL_JS_BUDGET_KB, measureConsoleSize } from './lib/console-size.js';

// The budget fails CI here; `npm run bench -- console` prints the same number next to it.
describe("the console's size budget", () => {
  const size = measureConsoleSize();

  it('keeps the JS loaded before the first render (scripts and modulepreloads of index.html) within 150 KB gzip', () => {
    // Preact alone is about 4 KB gzip: less means the page names the wrong files.
    expect(size.initialJsGzipKb).toBeGreaterThan(4);
    expect(size.initialJsGzipKb).toBeLessThanOrEqual(INITIAL_JS_BUDGET_KB);
  });
});
