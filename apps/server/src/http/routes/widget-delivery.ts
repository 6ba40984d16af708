import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { getWidgetConfig, widgetConfigBody } from '../../domain/widgets/widget-config.js';
import { AppError } from '../../domain/errors.js';
import type { App } from '../server.js';

/** The path prefix of everything a CDN may serve: no cookie is set or read there, no IP is logged. */
export const WIDGET_DELIVERY_PREFIX = '/widget/';

/** How long browsers and CDNs keep a widget's config before they ask again (with its ETag). */
const CONFIG_CACHE = 'public, max-age=60, stale-while-revalidate=600';

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
 * The widget's CDN-ready files, served by the installation itself: `/widget/v1/config/KEY.json`, a
 * widget's public configuration. Public to any site (CORS `*`), the same for every visitor, with or
 * without cookies; cached for a minute and revalidated with a strong ETag. Reads one row, writes
 * nothing, and its request log line carries no client address.
 */
export function widgetDeliveryRoutes(app: App, ctx: Context): void {
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
      const publicKey = /^(pk_[A-Za-z0-9_-]{10,64})\.json$/.exec(request.params.file)?.[1];
      const config = publicKey === undefined ? undefined : await getWidgetConfig(ctx, publicKey);
      if (!config) {
        throw new AppError(
          'not_found',
          'No widget with this public key; check the data-widget attribute of the loader',
        );
      }
      const body = widgetConfigBody(config);
      const etag = etagOf(body);
      reply.header('etag', etag);
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
}
