import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

function get(
  port: number,
  urlPath: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    // The certificate is self-signed for this test only.
    const req = request({ host: '127.0.0.1', port, path: urlPath, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS served directly', () => {
  let t: TestContext;
  let app: App;
  let dir: string;

  beforeEach(async () => {
    dir = path.join(process.env.TMPDIR ?? '/tmp', `plauder-tls-${process.pid}-${Date.now()}`);
    execFileSync('mkdir', ['-p', dir]);
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    t = await createTestContext({ env: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } });
    app = await buildServer(t.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    await app.close();
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers over TLS with HSTS and a Secure session cookie', async () => {
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const health = await get(port, '/healthz');
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toContain('max-age=');
    expect(t.config.publicUrl.startsWith('https://')).toBe(true);

    const owner = { email: 'tls@acme.test', displayName: 'T', password: 'correct horse battery' };
    await createAccount(t.ctx, { name: 'TLS', plan: 'standard', owner, actor: { kind: 'cli', id: null } });
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: owner });
    expect(login.statusCode).toBe(200);
    expect(String(login.headers['set-cookie'])).toMatch(/; Secure/);
  });
});
