import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { readWidgetBuild, type WidgetBuild } from '../../domain/widgets/widget-build.js';
import { getWidgetConfig, widgetConfigBody } from '../../domain/widgets/widget-config.js';
import { windowPageCsp, windowPageHtml } from '../../domain/widgets/window-page.js';
import { AppError } from '../../domain/errors.js';
import type { App } from '../server.js';

/** The path prefix of everything a CDN may serve: no cookie is set or read there, no IP is logged. */
export const WIDGET_DELIVERY_PREFIX = '/widget/';

/** How long browsers and CDNs keep a widget's config before they ask again (with its ETag). */
export const CONFIG_CACHE = 'public, max-age=60, stale-while-revalidate=600';
/** The loader's URL never changes, so its cache is short: a new release reaches pages within minutes. */
export const LOADER_CACHE = 'public, max-age=300, stale-while-revalidate=3600';
/** A bundle name this node does not have: in a rolling upgrade, another node may have it in a moment. */
export const MISSING_ASSET_CACHE = 'public, max-age=10';
/** Content-named files never change under their name. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

const JAVASCRIPT = 'text/javascript; charset=utf-8';
const KEY_FILE = /^(pk_[A-Za-z0-9_-]{10,64})\.(json|html)$/;
const unknownWidget = () =>
  new AppError('not_found', 'No widget with this public key; check the data-widget attribute of the loader');

/** A strong ETag of a body: its SHA-256. */
export function etagOf(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url')}"`;
}

/** Whether an `If-None-Match` header names this ETag (or `*`); weak validators compare alike (RFC 9110). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const candidate = tag.trim().replace(/^W\//, '');
    return candidate === '*' || candidate === etag;
  });
}

/**
 * The widget's files, served by the installation itself, every one with a strong ETag and 304s, the
 * same for every visitor with or without cookies, writing nothing and logging no client address:
 * - `loader.js`, at a stable URL with a short cache, and `assets/window.<hash>.js|css`, immutable;
 * - `config/KEY.json`, a widget's public configuration (CORS `*`, a minute of caching);
 * - `window/KEY.html`, the chat window's page for the loader's iframe, framed only by the widget's
 *   allowed sites. It is the one file that must come from the chat origin, not from a CDN.
 * `options.widgetBuild` replaces the built widget (apps/widget/dist), read on first use.
 */
export function widgetDeliveryRoutes(app: App, ctx: Context, options: { widgetBuild?: () => WidgetBuild } = {}): void {
  let build: WidgetBuild | undefined;
  // Read on first use, once per server: the files do not change while it runs.
  const widgetBuild = () => (build ??= (options.widgetBuild ?? readWidgetBuild)());

  app.get(
    `${WIDGET_DELIVERY_PREFIX}v1/config/:file`,
    {
      schema: {
        tags: ['widget'],
        summary: "A widget's public configuration (loader and chat window), as a cacheable static file",
        security: [],
        params: z.object({ file: z.string().describe('the widget public key followed by .json') }),
      },
    },
    async (request, reply) => {
      reply.header('access-control-allow-origin', '*');
      reply.header('cache-control', CONFIG_CACHE);
      const match = KEY_FILE.exec(request.params.file);
      const config = match?.[2] === 'json' && match[1] ? await getWidgetConfig(ctx, match[1]) : undefined;
      if (!config) throw unknownWidget();
      return sendTagged(
        request.headers['if-none-match'],
        reply,
        widgetConfigBody(config),
        'application/json; charset=utf-8',
      );
    },
  );

  app.get(
    `${WIDGET_DELIVERY_PREFIX}v1/loader.js`,
    {
      schema: {
        tags: ['widget'],
        summary: 'The loader script of the snippet: draws the chat button (stable URL, short cache)',
        security: [],
      },
    },
    async (request, reply) => {
      reply.header('access-control-allow-origin', '*');
      reply.header('cache-control', LOADER_CACHE);
      return sendTagged(request.headers['if-none-match'], reply, widgetBuild().loader, JAVASCRIPT);
    },
  );

  app.get(
    `${WIDGET_DELIVERY_PREFIX}v1/assets/:file`,
    {
      schema: {
        tags: ['widget'],
        summary: "The chat window's content-named script and style (immutable)",
        security: [],
        params: z.object({ file: z.string() }),
      },
    },
    async (request, reply) => {
      reply.header('access-control-allow-origin', '*');
      const body = widgetBuild().assets.get(request.params.file);
      if (!body) {
        // A name of a release not here (yet): cached for seconds only, so a CDN asks again soon.
        reply.header('cache-control', MISSING_ASSET_CACHE);
        throw new AppError('not_found', `No widget file ${request.params.file}; the page may name an older release`);
      }
      reply.header('cache-control', IMMUTABLE_CACHE);
      const type = request.params.file.endsWith('.css') ? 'text/css; charset=utf-8' : JAVASCRIPT;
      return sendTagged(request.headers['if-none-match'], reply, body, type);
    },
  );

  app.get(
    `${WIDGET_DELIVERY_PREFIX}v1/window/:file`,
    {
      schema: {
        tags: ['widget'],
        summary: "A widget's chat window page, for the loader's iframe; framed only by the allowed sites",
        security: [],
        params: z.object({ file: z.string().describe('the widget public key followed by .html') }),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', CONFIG_CACHE);
      const match = KEY_FILE.exec(request.params.file);
      const config = match?.[2] === 'html' && match[1] ? await getWidgetConfig(ctx, match[1]) : undefined;
      if (!config) throw unknownWidget();
      // Set here, the security headers hook keeps it (and leaves out X-Frame-Options: DENY).
      reply.header('content-security-policy', windowPageCsp(config));
      const html = windowPageHtml(config, widgetBuild());
      return sendTagged(request.headers['if-none-match'], reply, html, 'text/html; charset=utf-8');
    },
  );
}

/** Sends a body with its strong ETag, or `304` when the request names that ETag already. */
function sendTagged(
  ifNoneMatch: string | undefined,
  reply: FastifyReply,
  body: string | Buffer,
  contentType: string,
): FastifyReply {
  const etag = etagOf(body);
  reply.header('etag', etag);
  if (matchesEtag(ifNoneMatch, etag)) return reply.code(304).send();
  return reply.type(contentType).send(body);
}
