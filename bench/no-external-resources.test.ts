import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { WidgetConfig } from '@plauder/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../apps/server/src/domain/accounts/create-account.js';
import { defaultWidgetDist, readWidgetBuild } from '../apps/server/src/domain/widgets/widget-build.js';
import { widgetConfigBody } from '../apps/server/src/domain/widgets/widget-config.js';
import { windowPageHtml } from '../apps/server/src/domain/widgets/window-page.js';
import { buildServer, type App } from '../apps/server/src/http/server.js';
import { createTestContext, testDialect, type TestContext } from '../apps/server/src/test-support/test-context.js';
import { CONSOLE_DIST } from './lib/console-size.js';

// Promises P1/P9: a visitor's browser and an operator's talk to the installation alone. No font, script,
// style, image or connection from anywhere else, so no third party learns who opened a page.

/** The installation these files are served from: the one origin a reference may name. */
const OWN_ORIGIN = 'https://chat.acme.test';

/** Absolute URLs in the built files that no browser fetches, each with why; matched exactly. */
const NOT_FETCHED: ReadonlyMap<string, string> = new Map([
  ['http://www.w3.org/2000/svg', 'the SVG namespace URI Preact hands to createElementNS: a name, never loaded'],
  ['http://www.w3.org/1998/Math/MathML', 'the MathML namespace URI, as above (Preact)'],
  ['http://www.w3.org/1999/xhtml', 'the XHTML namespace URI, as above (Preact)'],
  ['https://www.example.com', "the placeholder of the console's allowed-sites field: shown, never loaded"],
  ['https://www.example.com/privacy', "the placeholder of the console's privacy-policy field: shown, never loaded"],
  ['https://example.com/plauder-events', "the placeholder of the console's webhook URL field: shown, never loaded"],
]);

/** Hosts of web fonts, script CDNs and trackers: named anywhere, even without a scheme, they fail. */
const THIRD_PARTY_HOSTS = [
  'fonts.googleapis.com',
  'fonts.gstatic.com',
  'use.typekit.net',
  'p.typekit.net',
  'use.fontawesome.com',
  'kit.fontawesome.com',
  'cdn.jsdelivr.net',
  'unpkg.com',
  'cdnjs.cloudflare.com',
  'esm.sh',
  'cdn.skypack.dev',
  'ajax.googleapis.com',
  'googletagmanager.com',
  'google-analytics.com',
  'sentry.io',
  'sentry-cdn.com',
];

/** Where a browser would fetch from, by kind; group 1 is the address. */
const ADDRESSES: readonly (readonly [kind: string, pattern: RegExp])[] = [
  ['absolute URL', /\b((?:https?|wss?):\/\/[^\s"'`()<>\\]+)/gi],
  ['protocol-relative URL', /["'`(=]\s*(\/\/(?:[a-z0-9-]+\.)+[a-z]{2,}[^\s"'`()<>\\]*)/gi],
  ['URL attribute', /\b(?:src|href|srcset|action|formaction|poster)\s*=\s*["'`]?\s*([^\s"'`>]+)/gi],
  ['CSS url()', /\burl\(\s*["']?\s*([^\s"')]+)/gi],
  ['CSS @import', /@import\s+["']([^"']+)/gi],
  ['request', /\b(?:fetch|WebSocket|EventSource|sendBeacon|importScripts|import)\s*\(\s*["'`]([^"'`]+)/g],
  ['XMLHttpRequest', /\.open\(\s*["'`][A-Za-z]+["'`]\s*,\s*["'`]([^"'`]+)/g],
];

/** Whether a browser would load `address`, as written in a page of the installation, from another host. */
function isElsewhere(address: string, kind: string): boolean {
  let url: URL;
  try {
    url = new URL(address, `${OWN_ORIGIN}/app/`);
  } catch {
    // A template such as `https://${host}/…` is assembled at run time: someone has to read it.
    return kind === 'absolute URL';
  }
  // data:, blob:, mailto: and the like load nothing from another host.
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) return false;
  return url.host !== new URL(OWN_ORIGIN).host;
}

/** Every reference of `text` to another origin, as `name: kind address`. */
function externalReferences(name: string, text: string): string[] {
  const found = new Set<string>();
  for (const [kind, pattern] of ADDRESSES) {
    for (const match of text.matchAll(pattern)) {
      const address = match[1]!.replace(/[.,;:]+$/, '');
      if (NOT_FETCHED.has(address) || !isElsewhere(address, kind)) continue;
      found.add(`${name}: ${kind} ${address}`);
    }
  }
  const lower = text.toLowerCase();
  for (const host of THIRD_PARTY_HOSTS) if (lower.includes(host)) found.add(`${name}: third-party host ${host}`);
  return [...found];
}

/** Every file under a build directory, by its path there; says what to run when it was never built. */
function builtFiles(dir: string, what: string): Map<string, string> {
  if (!existsSync(dir)) throw new Error(`The ${what} is not built (no ${dir}); run "npm run build"`);
  const files = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = path.join(dir, name);
    if (statSync(file).isFile()) files.set(`${what}/${name}`, readFileSync(file, 'utf8'));
  }
  return files;
}

describe('the built widget and console', () => {
  it('recognizes fonts, scripts, styles and calls from elsewhere, and lets its own and unfetched ones be', () => {
    const elsewhere = [
      '<link rel="preconnect" href="https://fonts.gstatic.com">',
      '<link rel="dns-prefetch" href="//cdn.example.net">',
      '<link rel=stylesheet href=//styles.example.net/a.css>',
      '<script src="https://scripts.example.net/a.js"></script>',
      '@import url("https://styles.example.net/x.css");',
      "@import '//styles.example.net/x.css';",
      '@font-face{font-family:X;src:url(//fonts.example.net/x.woff2)format("woff2")}',
      'fetch("https://updates.example.net/latest")',
      'navigator.sendBeacon("//stats.example.net/e",d)',
      'new WebSocket("wss://relay.example.net")',
      'new EventSource(`https://events.example.net`)',
      'r.open("POST","//collect.example.net/c")',
      'const h="use.typekit.net";',
      '//# sourceMappingURL=https://maps.example.net/index.js.map',
      'e.src=`https://${t}/pixel.gif`',
    ];
    for (const text of elsewhere) expect(externalReferences('sample', text), text).not.toEqual([]);
    const own = [
      '<link rel="stylesheet" href="/app/assets/index-a1.css"><script type="module" src="/app/assets/index-b2.js">',
      '<script defer src="../assets/window.c3.js"></script>',
      `<script async src="${OWN_ORIGIN}/widget/v1/loader.js"></script>`,
      'background:url(data:image/svg+xml;base64,AAAA) no-repeat',
      'fetch(`/api/v1/conversations/${id}`);new WebSocket(`${p}//${location.host}/ws/v1/operator`)',
      'e.createElementNS("http://www.w3.org/2000/svg","svg")',
      'x=1;// a comment, then a regex /\\/\\//',
    ];
    for (const text of own) expect(externalReferences('sample', text), text).toEqual([]);
  });

  it('name no origin but the installation in any file, nor in the window page and config made of them', () => {
    const files = new Map([...builtFiles(defaultWidgetDist(), 'widget'), ...builtFiles(CONSOLE_DIST, 'console')]);
    // A widget with every default, as the installation serves it: the page of the loader's iframe and its config.
    const config = WidgetConfig.parse({ v: 1, publicKey: 'pk_0123456789abcdef', apiUrl: OWN_ORIGIN });
    files.set('widget/window/KEY.html', windowPageHtml(config, readWidgetBuild()));
    files.set('widget/config/KEY.json', widgetConfigBody(config));
    // Less than this means the scan looks at the wrong directories.
    for (const name of ['widget/loader.js', 'widget/manifest.json', 'console/index.html']) {
      expect(files.has(name), name).toBe(true);
    }
    expect([...files.keys()].filter((name) => /\.(js|css)$/.test(name)).length).toBeGreaterThanOrEqual(4);

    const found = [...files].flatMap(([name, text]) => externalReferences(name, text));
    expect(found).toEqual([]);
  });
});

/** A Content-Security-Policy as its directives, names lower-cased. */
function directivesOf(policy: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/** The fetch directives a page's policy must hold to the installation (default-src stands in for a missing one). */
const FETCH_DIRECTIVES = ['script-src', 'style-src', 'font-src', 'connect-src', 'img-src'] as const;

describe(`the pages the installation serves (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let publicKey: string;
  beforeAll(async () => {
    t = await createTestContext({ env: { PUBLIC_URL: OWN_ORIGIN } });
    app = await buildServer(t.ctx);
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    publicKey = created.widget.publicKey;
  });
  afterAll(async () => {
    await app.close();
    await t.cleanup();
  });

  /** A page after its redirects (the API docs answer /api/docs with one). */
  async function get(url: string) {
    let response = await app.inject({ method: 'GET', url });
    for (let hops = 0; response.statusCode >= 300 && response.statusCode < 400 && hops < 3; hops++) {
      response = await app.inject({ method: 'GET', url: String(response.headers.location) });
    }
    expect(response.statusCode, url).toBe(200);
    return response;
  }

  it('lets each page load scripts, styles, fonts, images and connections from the installation only', async () => {
    // Beyond 'self' and 'none', what each page already allows, and why it stays on the installation.
    const pages: Record<string, Partial<Record<(typeof FETCH_DIRECTIVES)[number], string[]>>> = {
      '/': {},
      '/app/': {},
      '/app/inbox': {},
      // The chat window: images of fetched attachments as blobs, and its socket to this installation.
      [`/widget/v1/window/${publicKey}.html`]: { 'img-src': ['blob:'], 'connect-src': ['wss://chat.acme.test'] },
      // swagger-ui styles itself inline and draws data: images; all of it is served from here.
      '/api/docs': { 'style-src': ["'unsafe-inline'"], 'img-src': ['data:'] },
    };
    for (const [url, extra] of Object.entries(pages)) {
      const policy = String((await get(url)).headers['content-security-policy']);
      const directives = directivesOf(policy);
      for (const directive of FETCH_DIRECTIVES) {
        // Neither the directive nor default-src: the browser allows everything.
        const sources = directives.get(directive) ?? directives.get('default-src') ?? ['*'];
        const allowed = ["'self'", "'none'", ...(extra[directive] ?? [])];
        expect(
          sources.filter((source) => !allowed.includes(source)),
          `${directive} of ${url}: ${policy}`,
        ).toEqual([]);
      }
    }
  });

  it('serves pages, widget config and loader that name no origin but its own', async () => {
    const urls = [
      '/',
      '/app/',
      '/api/docs',
      `/widget/v1/window/${publicKey}.html`,
      `/widget/v1/config/${publicKey}.json`,
      '/widget/v1/loader.js',
    ];
    const found: string[] = [];
    for (const url of urls) found.push(...externalReferences(url, (await get(url)).body));
    expect(found).toEqual([]);
  });
});
