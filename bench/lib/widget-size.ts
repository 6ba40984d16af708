import { gzipSync } from 'node:zlib';
import { WidgetConfig } from '@plauder/protocol';
import { readWidgetBuild, type WidgetBuild } from '../../apps/server/src/domain/widgets/widget-build.js';
import { windowPageHtml } from '../../apps/server/src/domain/widgets/window-page.js';

/** The widget's size budgets (issue 4), gzip bytes: what a page view costs, and everything before a chat. */
export const LOADER_BUDGET_BYTES = 3 * 1024;
/** Loader, window page, script and style: all a visitor downloads before their first message. */
export const FIRST_MESSAGE_BUDGET_BYTES = 25 * 1024;

/** The baseline of the loader: Chatwoot's size budget for its widget's loader, 40 KB. */
export const CHATWOOT_LOADER_BYTES = 40 * 1024;
/** The baseline of everything before the first message: Chatwoot's budget for its widget app, 300 KB. */
export const CHATWOOT_APP_BYTES = 300 * 1024;

/** Gzip size at the level CDNs and servers commonly use for static files (9). */
const gzipBytes = (body: string | Buffer) => gzipSync(body, { level: 9 }).length;

/** The widget's transfer sizes, gzip bytes, measured on the built files. */
export function measureWidgetSize(build: WidgetBuild = readWidgetBuild()): {
  loaderGzipBytes: number;
  firstMessageGzipBytes: number;
  parts: Record<string, number>;
} {
  // A widget with every default: what a new account's page serves.
  const config = WidgetConfig.parse({ v: 1, publicKey: 'pk_0123456789abcdef', apiUrl: 'https://chat.example.com' });
  const parts: Record<string, number> = {
    'loader.js': gzipBytes(build.loader),
    'config.json': gzipBytes(JSON.stringify(config)),
    'window.html': gzipBytes(windowPageHtml(config, build)),
  };
  // This release's window only (the build keeps the one before beside it).
  for (const name of [build.window.script, build.window.style]) parts[name] = gzipBytes(build.assets.get(name) ?? '');
  const firstMessageGzipBytes = Object.values(parts).reduce((sum, bytes) => sum + bytes, 0);
  return { loaderGzipBytes: parts['loader.js'] ?? 0, firstMessageGzipBytes, parts };
}
