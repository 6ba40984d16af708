/**
 * The console's HTTP calls: JSON to and from `/api/v1`, the session cookie sent by the browser, the
 * CSRF token on every write. A lost session (expired, logged out elsewhere) is reported once to the
 * app, which returns to sign-in without dropping what the operator was doing.
 */
import type { ErrorBody, SessionDto } from '@plauder/protocol';

/** An error answer of the API, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The console's session with the installation. */
export class Api {
  private csrfToken = '';
  /** Called when a request finds the session gone; set by the app. */
  onSessionLost: () => void = () => undefined;
  /** Called when a write finds the account terminated (by someone else, meanwhile); set by the shell. */
  onAccountTerminated: () => void = () => undefined;

  /** Remembers the CSRF token of a session just started or found. */
  useSession(session: SessionDto): void {
    this.csrfToken = session.csrfToken;
  }

  /** Sends a request; resolves with the JSON answer (undefined for 204), throws ApiError otherwise. */
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.send<T>(method, path, {
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** Uploads a file as the raw body (`application/octet-stream`), as the attachment API takes it. */
  upload<T>(path: string, file: Blob): Promise<T> {
    return this.send<T>('POST', path, { headers: { 'content-type': 'application/octet-stream' }, body: file });
  }

  /**
   * Fetches a file the API answers (an export's zip) with the session, as request does: the bytes
   * and the name the server gives it (`Content-Disposition`), or ApiError with the server's message.
   */
  async download(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ blob: Blob; fileName: string }> {
    const response = await this.fetchChecked(method, path, {
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const disposition = response.headers.get('content-disposition') ?? '';
    const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'export.zip';
    return { blob: await response.blob(), fileName };
  }

  private async send<T>(
    method: string,
    path: string,
    init: { headers: Record<string, string>; body?: BodyInit },
  ): Promise<T> {
    const response = await this.fetchChecked(method, path, init);
    if (response.status === 204) return undefined as T;
    // The API answers JSON: SessionDto and the like on success.
    return (await response.json().catch(() => undefined)) as T;
  }

  /** Sends a request; answers a successful response, throws ApiError with the API's code otherwise. */
  private async fetchChecked(
    method: string,
    path: string,
    init: { headers: Record<string, string>; body?: BodyInit },
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: { ...init.headers, ...(method === 'GET' ? {} : { 'x-csrf-token': this.csrfToken }) },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
    } catch {
      throw new ApiError(0, 'unavailable', 'The installation cannot be reached; check the connection');
    }
    if (response.ok) return response;
    // The API answers ErrorBody on failure.
    const json = (await response.json().catch(() => undefined)) as unknown;
    const error = (json as ErrorBody | undefined)?.error;
    const code = error?.code ?? 'unavailable';
    // A request that needs a session, not the login itself, found it gone.
    if ((code === 'session_expired' || code === 'unauthenticated') && path !== '/api/v1/auth/login') {
      this.onSessionLost();
    }
    if (code === 'account_terminated') this.onAccountTerminated();
    throw new ApiError(response.status, code, error?.message ?? `The request failed (${response.status})`);
  }
}

/** What went wrong, for the operator: the API's own message, which says what to do. */
export function errorText(caught: unknown): string {
  return caught instanceof ApiError ? caught.message : 'Something went wrong. Try again.';
}
