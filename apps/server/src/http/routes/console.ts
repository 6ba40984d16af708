import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { App } from '../server.js';

/** The built console (apps/console/dist): its page and its content-named files. */
export interface ConsoleBuild {
  indexHtml: Buffer;
  /** Files under `assets/` by name; Vite names each by its content. */
  assets: ReadonlyMap<string, Buffer>;
}

/** Reads the console build; throws a message saying what to run when it was never built. */
export function readConsoleBuild(): ConsoleBuild {
  const packageJson = createRequire(import.meta.url).resolve('@plauder/console/package.json');
  const dist = path.join(path.dirname(packageJson), 'dist');
  let indexHtml: Buffer;
  try {
    indexHtml = readFileSync(path.join(dist, 'index.html'));
  } catch (error) {
    throw new Error(`The console is not built (no ${dist}/index.html); run "npm run build"`, { cause: error });
  }
  const names = readdirSync(path.join(dist, 'assets')).filter((name) => /^[\w.-]+\.(js|css)$/.test(name));
  return { indexHtml, assets: new Map(names.map((name) => [name, readFileSync(path.join(dist, 'assets', name))])) };
}

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/**
 * The operator console under `/app`: its page for `/app` and every path below it (the console
 * routes in the browser), revalidated on each load so a new release shows at once, and its
 * content-named files as immutable. The installation's strict Content-Security-Policy applies: the
 * console loads its own files only.
 */
export function consoleRoutes(app: App, options: { consoleBuild?: () => ConsoleBuild } = {}): void {
  let build: ConsoleBuild | undefined;
  // Read on first use, once per server: the files do not change while it runs.
  const consoleBuild = () => (build ??= (options.consoleBuild ?? readConsoleBuild)());
  const page = async (_request: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(consoleBuild().indexHtml);
  app.get('/app', { schema: { hide: true } }, page);
  app.get('/app/*', { schema: { hide: true } }, page);
  app.get(
    '/app/assets/:file',
    { schema: { hide: true, params: z.object({ file: z.string() }) } },
    async (request, reply) => {
      const body = consoleBuild().assets.get(request.params.file);
      if (!body) {
        reply.header('cache-control', 'public, max-age=10');
        throw new AppError('not_found', `No console file ${request.params.file}; reload the console`);
      }
      const type = TYPES[request.params.file.split('.').pop() ?? ''] ?? 'application/octet-stream';
      return reply.header('cache-control', 'public, max-age=31536000, immutable').type(type).send(body);
    },
  );
}
