/**
 * The chat window's HTTP calls to the installation: the visitor session, and files up and down.
 * Never with cookies: the visitor token travels as a bearer header.
 */
import type { AttachmentDto, VisitorSessionDto, WidgetConfig } from '@plauder/protocol';

/** An error answer of the API, with its stable code (or `unavailable` when none came). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`${status} ${code}`);
  }

  /** Whether asking again later can help: the server or the network failed, or it asked to wait. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

async function failure(response: Response): Promise<ApiError> {
  // Error answers are ErrorBody; anything else (a proxy's page) has no code.
  const body = (await response.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
  return new ApiError(response.status, body?.error?.code ?? 'unavailable');
}

/** Fetches without credentials; a network failure becomes a retryable ApiError. */
async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, credentials: 'omit' });
  } catch {
    throw new ApiError(0, 'unavailable');
  }
}

/** Starts a visitor session for the widget, naming the site that embeds it. */
export async function startVisitorSession(config: WidgetConfig, siteOrigin: string): Promise<VisitorSessionDto> {
  const response = await request(`${config.apiUrl}/api/v1/visitor-sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ publicKey: config.publicKey, siteOrigin }),
  });
  if (!response.ok) throw await failure(response);
  // The route's answer schema is VisitorSessionDto.
  return (await response.json()) as VisitorSessionDto;
}

/** Uploads a file as a message of the conversation; a resend with the same client id stores nothing new. */
export async function uploadAttachment(input: {
  config: WidgetConfig;
  token: string;
  conversationId: string;
  clientMessageId: string;
  file: File;
}): Promise<{ seq: number; attachment: AttachmentDto }> {
  const query = new URLSearchParams({ clientMessageId: input.clientMessageId, fileName: input.file.name });
  const response = await request(
    `${input.config.apiUrl}/api/v1/visitor/conversations/${input.conversationId}/attachments?${query.toString()}`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${input.token}`, 'content-type': 'application/octet-stream' },
      body: input.file,
    },
  );
  if (!response.ok) throw await failure(response);
  // The route answers { messageId, seq, attachment }.
  return (await response.json()) as { seq: number; attachment: AttachmentDto };
}

/** The visitor's own data as a zip: their conversations, files and contact details. */
export async function fetchOwnData(input: { config: WidgetConfig; token: string }): Promise<Blob> {
  const response = await request(`${input.config.apiUrl}/api/v1/visitor/export`, {
    headers: { authorization: `Bearer ${input.token}` },
  });
  if (!response.ok) throw await failure(response);
  return response.blob();
}

/** An attachment's bytes. */
export async function fetchAttachment(input: { config: WidgetConfig; token: string; attachmentId: string }) {
  const response = await request(`${input.config.apiUrl}/api/v1/visitor/attachments/${input.attachmentId}`, {
    headers: { authorization: `Bearer ${input.token}` },
  });
  if (!response.ok) throw await failure(response);
  return response.blob();
}
