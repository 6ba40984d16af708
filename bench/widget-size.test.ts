import { describe, expect, it } from 'vitest';
import { FIRST_MESSAGE_BUDGET_BYTES, LOADER_BUDGET_BYTES, measureWidgetSize } from './lib/widget-size.js';

// The budgets fail CI here; the bench prints the same numbers next to Chatwoot's.
describe("the widget's size budgets", () => {
  const size = measureWidgetSize();

  it('keeps the loader within 3 KB gzip', () => {
    expect(size.loaderGzipBytes).toBeGreaterThan(500);
    expect(size.loaderGzipBytes).toBeLessThanOrEqual(LOADER_BUDGET_BYTES);
  });

  it('keeps everything before the first message (loader, config, window page, script, style) within 25 KB gzip', () => {
    expect(Object.keys(size.parts)).toHaveLength(5);
    expect(size.firstMessageGzipBytes).toBeLessThanOrEqual(FIRST_MESSAGE_BUDGET_BYTES);
  });
});
