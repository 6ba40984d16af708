import type { FastifyInstance } from 'fastify';

/** Options of the security headers: HSTS is sent only when the product is reached over https. */
export interface SecurityHeadersOptions {
  https: boolean;
}

const strictCsp = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";
// The rendered API docs (swagger-ui) style themselves inline and use data: images.
const docsCsp =
  "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

/** Adds CSP (unless the route set its own), HSTS (under https), nosniff, referrer and framing policies to every answer. */
export function registerSecurityHeaders(app: FastifyInstance, options: SecurityHeadersOptions): void {
  app.addHook('onSend', async (request, reply) => {
    // A route that set its own policy before this hook keeps it, and its framing is the policy's
    // frame-ancestors alone: the chat window's page, which the widget's sites may frame.
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', request.url.startsWith('/api/docs') ? docsCsp : strictCsp);
      reply.header('x-frame-options', 'DENY');
    }
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()');
    if (options.https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
  });
}
