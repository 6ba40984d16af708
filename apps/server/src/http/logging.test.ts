import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED_PATHS } from '../context.js';
import { createAccount } from '../domain/accounts/create-account.js';
import { capturingLogger } from '../test-support/capturing-logger.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const OWNER = { email: 'owner@acme.test', password: 'correct horse battery' };

interface RequestLine {
  msg: string;
  method?: string;
  path?: string;
  status?: number;
  client?: string;
}

/** A logger configured like the process logger, writing its lines into an array. */
const processLikeLogger = () =>
  capturingLogger({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });

describe('HTTP logging', () => {
  let t: TestContext | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await t?.cleanup();
    app = undefined;
    t = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<{ app: App; lines: string[] }> {
    const { logger, lines } = processLikeLogger();
    t = await createTestContext({ env, logger });
    app = await buildServer(t.ctx);
    return { app, lines };
  }

  /** The request lines logged so far; onResponse may log just after inject resolves. */
  async function requestLines(lines: string[], count: number): Promise<RequestLine[]> {
    const parse = () => lines.map((l) => JSON.parse(l) as RequestLine).filter((l) => l.msg === 'request');
    for (let waited = 0; parse().length < count && waited < 1000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return parse();
  }

  it('logs the /24 of the client a trusted proxy names, and never the full address', async () => {
    const { app, lines } = await start({ TRUST_PROXY: '127.0.0.1' });
    const response = await app.inject({
      method: 'GET',
      url: '/healthz',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '203.0.113.77' },
    });
    expect(response.statusCode).toBe(200);
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '203.0.113.77' },
      payload: { email: 'nobody@acme.test', password: 'wrong password' },
    });
    expect(login.statusCode).toBe(401);

    const logged = await requestLines(lines, 2);
    expect(logged).toEqual([
      expect.objectContaining({ method: 'GET', path: '/healthz', status: 200, client: '203.0.113.0/24' }),
      expect.objectContaining({ method: 'POST', path: '/api/v1/auth/login', status: 401, client: '203.0.113.0/24' }),
    ]);
    expect(lines.join('\n')).not.toContain('203.0.113.77');
  });

  it('ignores X-Forwarded-For from a client that is not a trusted proxy', async () => {
    const { app, lines } = await start({ TRUST_PROXY: '127.0.0.1' });
    const response = await app.inject({
      method: 'GET',
      url: '/healthz',
      remoteAddress: '198.51.100.9',
      headers: { 'x-forwarded-for': '203.0.113.77' },
    });
    expect(response.statusCode).toBe(200);

    const logged = await requestLines(lines, 1);
    expect(logged).toEqual([expect.objectContaining({ client: '198.51.100.0/24' })]);
    const text = lines.join('\n');
    expect(text).not.toContain('198.51.100.9');
    expect(text).not.toContain('203.0.113.77');
  });

  it('logs IPv6 clients by their /48', async () => {
    const { app, lines } = await start();
    await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '2001:db8:85a3::8a2e:370:7334' });
    expect(await requestLines(lines, 1)).toEqual([expect.objectContaining({ client: '2001:db8:85a3::/48' })]);
    expect(lines.join('\n')).not.toContain('8a2e');
  });

  it('keeps cookies, tokens, emails and passwords of requests out of the log', async () => {
    const { app, lines } = await start();
    await createAccount(t!.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: OWNER.email, displayName: 'Ada Owner', password: OWNER.password },
      actor: { kind: 'cli', id: null },
    });
    const sent = {
      cookie: 'plauder_session=pls_cookiesecretvalue',
      authorization: 'Bearer plt_tokensecretvalue',
      csrf: 'csrfsecretvalue',
    };
    const failed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { cookie: sent.cookie, authorization: sent.authorization, 'x-csrf-token': sent.csrf },
      payload: { email: OWNER.email, password: 'wrong password secret' },
    });
    expect(failed.statusCode).toBe(401);
    const withToken = await app.inject({
      method: 'GET',
      url: '/api/v1/operators',
      headers: { authorization: sent.authorization },
    });
    expect(withToken.statusCode).toBe(401);
    const withCookie = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie: sent.cookie },
    });
    expect(withCookie.statusCode).toBe(401);
    const ok = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: OWNER });
    expect(ok.statusCode).toBe(200);
    const session = ok.cookies.find((c) => c.name === 'plauder_session')!.value;

    expect(await requestLines(lines, 4)).toHaveLength(4);
    const text = lines.join('\n');
    for (const secret of [
      'cookiesecretvalue',
      'tokensecretvalue',
      sent.csrf,
      session,
      OWNER.email,
      OWNER.password,
      'wrong password secret',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
