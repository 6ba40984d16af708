import type { Context } from '../../context.js';
import { findDemoWidgetKey } from '../../domain/widgets/demo-widget.js';
import { AppError } from '../../domain/errors.js';
import type { App } from '../server.js';

function page(ctx: Context): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plauder</title>
</head>
<body>
<main>
<h1>Plauder is running</h1>
<p>Self-hosted live chat. Data region: <strong>${escapeHtml(ctx.config.dataRegion)}</strong>;
storage: <strong>${ctx.database.dialect === 'sqlite' ? 'embedded SQLite' : 'PostgreSQL'}</strong>.</p>
<ul>
<li><a href="/app">Operator console</a></li>
<li><a href="/demo">Demo page</a> with the chat widget</li>
<li><a href="/api/docs">REST API documentation</a> (<a href="/api/openapi.json">OpenAPI document</a>)</li>
<li><a href="/healthz">Health</a> and <a href="/readyz">readiness</a></li>
</ul>
<p>Sign in to the console with the demo owner printed at the first start.</p>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A page like a customer's website, with the demo widget's snippet in it. */
function demoPage(input: { publicKey: string; publicUrl: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plauder demo</title>
</head>
<body>
<main>
<h1>A website with Plauder</h1>
<p>The chat button in the corner is the demo account's widget, embedded with this snippet:</p>
<pre><code>${escapeHtml(snippet(input))}</code></pre>
<p>Until you click it, the page has no cookie, no storage and no connection but the widget's static files.
With no operator online, the window offers an offline message.</p>
</main>
${snippet(input)}
</body>
</html>
`;
}

/** The snippet a website adds to show a widget's chat button: copied as it is, it works on any site. */
function snippet(input: { publicKey: string; publicUrl: string }): string {
  const loader = `${input.publicUrl}/widget/v1/loader.js`;
  return `<script async src="${escapeHtml(loader)}" data-widget="${escapeHtml(input.publicKey)}"></script>`;
}

/** The start page of the installation, and the demo page. */
export function homeRoutes(app: App, ctx: Context): void {
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.type('text/html; charset=utf-8').send(page(ctx)));
  app.get('/demo', { schema: { hide: true } }, async (_request, reply) => {
    const publicKey = await findDemoWidgetKey(ctx);
    if (!publicKey) throw new AppError('not_found', 'This installation has no demo account; embed a widget of yours');
    return reply.type('text/html; charset=utf-8').send(demoPage({ publicKey, publicUrl: ctx.config.publicUrl }));
  });
}
