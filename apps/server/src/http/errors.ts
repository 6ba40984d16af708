import type { ErrorBody, ErrorCode } from '@plauder/protocol';
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { KeyDestroyedError, TamperedError } from '../crypto/errors.js';
import { AppError } from '../domain/errors.js';
import { ReferenceNotFoundError } from '../storage/account-references.js';

/** The HTTP status of every error code. */
export const statusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  malformed_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  not_found: 404,
  route_not_found: 404,
  unauthenticated: 401,
  session_expired: 401,
  invalid_credentials: 401,
  totp_required: 401,
  totp_invalid: 401,
  too_many_attempts: 429,
  csrf_failed: 403,
  forbidden: 403,
  conflict: 409,
  key_destroyed: 410,
  internal_error: 500,
  unavailable: 503,
  unsupported_file_type: 415,
  malformed_frame: 400,
  unknown_frame_type: 400,
  unsupported_version: 400,
  frame_too_large: 413,
  rate_limited: 429,
  message_too_long: 400,
  conversation_closed: 409,
  too_many_conversations: 429,
  operator_unavailable: 409,
  conversation_not_assigned: 403,
  consent_required: 400,
  origin_not_allowed: 403,
  invitation_invalid: 410,
  job_finished: 409,
  account_terminated: 403,
  account_not_terminated: 409,
  nothing_to_delete: 422,
  too_many_widgets: 409,
  last_widget: 409,
  function_not_in_plan: 409,
  function_not_configured: 409,
  plan_in_use: 409,
  url_not_allowed: 422,
  function_inactive: 409,
  provider_unavailable: 502,
};

function body(code: ErrorCode, message: string, requestId: string, details?: unknown): ErrorBody {
  return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } };
}

/** Maps any thrown error to `{ error: { code, message } }` with its status; unexpected ones are logged. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const send = (code: ErrorCode, message: string, details?: unknown) =>
      reply.status(statusOf[code]).send(body(code, message, request.id, details));
    if (error instanceof AppError) {
      const retry = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (retry) void reply.header('retry-after', String(retry));
      return send(error.code, error.message, error.details);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({
        // The instance path of the whole body is "/": it names the body itself, not a field "".
        path: `${error.validationContext ?? 'body'}${v.instancePath.replace(/^\/$/, '').replace(/\//g, '.')}`,
        message: v.message,
      }));
      return send(
        'validation_failed',
        `Invalid ${error.validationContext ?? 'request'}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
        issues,
      );
    }
    if (error instanceof ReferenceNotFoundError) return send('not_found', error.message);
    if (error instanceof KeyDestroyedError)
      return send('key_destroyed', 'This data was erased and cannot be read any more');
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return send('malformed_json', 'The body is not valid JSON');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(
          'payload_too_large',
          // A route may set its own limit (attachments do); name the one that was exceeded.
          `The body is larger than the limit of ${request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 0} bytes`,
        );
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send('unsupported_media_type', 'Send JSON with content-type: application/json');
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return send('bad_request', 'The content-length does not match the body');
      default:
        break;
    }
    if (error instanceof SyntaxError && error.statusCode === 400)
      return send('malformed_json', 'The body is not valid JSON');
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500 && !isResponseSerializationError(error)) {
      return send('bad_request', error.message);
    }
    if (error instanceof TamperedError) request.log.error({ err: error }, 'Sealed data failed authentication');
    else request.log.error({ err: error }, 'Request failed');
    return send('internal_error', 'Something went wrong on our side; the request id helps to find it in the logs');
  });

  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send(
        body(
          'route_not_found',
          `No route ${request.method} ${request.url.split('?')[0] ?? ''}; see /api/docs`,
          request.id,
        ),
      );
  });
}
