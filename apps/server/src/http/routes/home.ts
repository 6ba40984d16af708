import type { Context } from '../../context.js';
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
<li><a href="/api/docs">REST API documentation</a> (<a href="/api/openapi.json">OpenAPI document</a>)</li>
<li><a href="/healthz">Health</a> and <a href="/readyz">readiness</a></li>
</ul>
<p>Log in through <code>POST /api/v1/auth/login</code> with the demo owner printed at the first start.</p>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The start page of the installation. */
export function homeRoutes(app: App, ctx: Context): void {
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.type('text/html; charset=utf-8').send(page(ctx)));
}
