/**
 * The widget's transfer sizes against Chatwoot's published budgets (40 KB loader, 300 KB app), on the
 * built files (`npm run build` first). Results on stdout (DESIGN §6). Run with `npm run bench -- widget-size`.
 */
import { progress, report } from './lib/report.js';
import {
  CHATWOOT_APP_BYTES,
  CHATWOOT_LOADER_BYTES,
  FIRST_MESSAGE_BUDGET_BYTES,
  LOADER_BUDGET_BYTES,
  measureWidgetSize,
} from './lib/widget-size.js';

const BENCH = 'widget-size';
const size = measureWidgetSize();
for (const [name, bytes] of Object.entries(size.parts)) progress(BENCH, `${name}: ${bytes} B gzip`);
report({
  bench: BENCH,
  metric: 'loader_gzip_bytes',
  unit: 'bytes',
  value: size.loaderGzipBytes,
  baseline: CHATWOOT_LOADER_BYTES,
  target: `value <= ${LOADER_BUDGET_BYTES}`,
});
report({
  bench: BENCH,
  metric: 'first_message_gzip_bytes',
  unit: 'bytes',
  value: size.firstMessageGzipBytes,
  baseline: CHATWOOT_APP_BYTES,
  target: `value <= ${FIRST_MESSAGE_BUDGET_BYTES}`,
});
