import type { ErrorBody, SessionDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { App } from '../http/server.js';

/** How a test request authenticates: a session cookie with its CSRF header, or a bearer token. */
export interface Caller {
  cookies?: Record<string, string>;
  headers: Record<string, string>;
}

/** The HTTP methods the API tests use. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The error of an error answer. */
export function errorOf(response: LightMyRequestResponse): ErrorBody['error'] {
  return response.json<ErrorBody>().error;
}

/** A caller with an API token. */
export function bearer(secret: string): Caller {
  return { headers: { authorization: `Bearer ${secret}` } };
}

/** Sends one request as `caller`. */
export function callAs(
  app: App,
  caller: Caller,
  input: { method: Method; url: string; payload?: object },
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: input.method,
    url: input.url,
    headers: caller.headers,
    ...(caller.cookies ? { cookies: caller.cookies } : {}),
    ...(input.payload === undefined ? {} : { payload: input.payload }),
  });
}

/** Logs in through the API and returns the session cookie with its CSRF header. */
export async function logInAs(app: App, credentials: { email: string; password: string }): Promise<Caller> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: credentials });
  expect(response.statusCode).toBe(200);
  const cookie = response.cookies.find((c) => c.name === 'plauder_session');
  if (!cookie) throw new Error('The login set no session cookie');
  return {
    cookies: { plauder_session: cookie.value },
    headers: { 'x-csrf-token': response.json<SessionDto>().csrfToken },
  };
}
