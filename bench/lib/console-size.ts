import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The console's size budget: the JS it loads before its first render, KB gzip (fails `npm test`). */
export const INITIAL_JS_BUDGET_KB = 150;

/** Where `npm run build --workspace @plauder/console` writes the console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../apps/console/dist/', import.meta.url));

/** The path the installation serves the console under (`base` in apps/console/vite.config.ts). */
const BASE = '/app/';

/** One file of the build and its gzip size. */
export interface SizedFile {
  readonly name: string;
  readonly gzipBytes: number;
}

/** The console's transfer sizes, measured on the built files. */
export interface ConsoleSize {
  /** Scripts and module preloads of index.html, summed, in KB (1,024 B) gzip, one decimal. */
  readonly initialJsGzipKb: number;
  /** The JS loaded before the first render: what index.html names as a script or a modulepreload. */
  readonly initial: readonly SizedFile[];
  /** The other JS chunks of the build, loaded by a dynamic import when a view needs them. */
  readonly lazy: readonly SizedFile[];
  /** The style sheets of index.html (not part of the JS budget). */
  readonly styles: readonly SizedFile[];
}

/** Gzip size at the level CDNs and servers commonly use for static files (9), as for the widget. */
const gzipBytes = (body: string | Buffer) => gzipSync(body, { level: 9 }).length;

/** A tag's attributes, lower-cased names; a bare attribute has the value ''. */
function attributesOf(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of text.matchAll(/([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    attributes.set(match[1]!.toLowerCase(), match[2] ?? match[3] ?? match[4] ?? '');
  }
  return attributes;
}

/** The file of the build an address of index.html names (`/app/assets/index-….js`). */
function fileOf(dist: string, address: string): string {
  const { pathname } = new URL(address, `https://console.invalid${BASE}`);
  if (!pathname.startsWith(BASE)) throw new Error(`The console's index.html names ${address}, outside ${BASE}`);
  return path.join(dist, decodeURIComponent(pathname.slice(BASE.length)));
}

/**
 * Measures the built console: the JS its page loads before the first render (every script and
 * modulepreload of index.html; inline scripts too, though the console's CSP allows none) against the
 * lazily imported chunks. Throws, saying what to run, when the console is not built.
 */
export function measureConsoleSize(dist: string = CONSOLE_DIST): ConsoleSize {
  let html: string;
  try {
    html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  } catch (error) {
    throw new Error(
      `The console is not built (no ${path.join(dist, 'index.html')}); run "npm run build --workspace @plauder/console"`,
      { cause: error },
    );
  }
  const seen = new Set<string>();
  const initial: SizedFile[] = [];
  const styles: SizedFile[] = [];
  const add = (list: SizedFile[], file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    list.push({ name: path.relative(dist, file), gzipBytes: gzipBytes(readFileSync(file)) });
  };
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const src = attributesOf(match[1]!).get('src');
    if (src) add(initial, fileOf(dist, src));
    else if (match[2]!.trim() !== '') initial.push({ name: 'inline script', gzipBytes: gzipBytes(match[2]!) });
  }
  for (const match of html.matchAll(/<link\b([^>]*)>/gi)) {
    const attributes = attributesOf(match[1]!);
    const rel = (attributes.get('rel') ?? '').toLowerCase().split(/\s+/);
    const href = attributes.get('href');
    if (!href) continue;
    if (rel.includes('modulepreload')) add(initial, fileOf(dist, href));
    else if (rel.includes('stylesheet')) add(styles, fileOf(dist, href));
  }
  if (initial.length === 0) throw new Error(`The console's index.html in ${dist} names no script`);

  const assets = path.join(dist, 'assets');
  const lazy = readdirSync(assets, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(assets, name))
    .filter((file) => /\.m?js$/.test(file) && !seen.has(file))
    .sort()
    .map((file) => ({ name: path.relative(dist, file), gzipBytes: gzipBytes(readFileSync(file)) }));

  const initialBytes = initial.reduce((sum, file) => sum + file.gzipBytes, 0);
  return { initialJsGzipKb: Math.round((initialBytes / 1024) * 10) / 10, initial, lazy, styles };
}
