import { z } from 'zod';

/** Every error code the REST API and the sockets can answer with; stable across versions. */
export const ErrorCode = z.enum([
  'bad_request',
  'validation_failed',
  'malformed_json',
  'unsupported_media_type',
  'payload_too_large',
  'not_found',
  'route_not_found',
  'unauthenticated',
  'session_expired',
  'invalid_credentials',
  'totp_required',
  'totp_invalid',
  'too_many_attempts',
  'csrf_failed',
  'forbidden',
  'conflict',
  'key_destroyed',
  'internal_error',
  'unavailable',
  // Attachments: the file's content is none of the allowed types (judged by its bytes, not its name).
  'unsupported_file_type',
  // The sockets' own codes.
  'malformed_frame',
  'unknown_frame_type',
  'unsupported_version',
  'frame_too_large',
  'rate_limited',
  'message_too_long',
  'conversation_closed',
  'too_many_conversations',
  'operator_unavailable',
  'conversation_not_assigned',
  // The widget asks for the visitor's consent first (privacy opt-in) and none was given.
  'consent_required',
  // The page that embeds the widget is not one of the widget's allowed origins.
  'origin_not_allowed',
  // An operator invitation's token is unknown, used, revoked or expired: the invitation must be sent again.
  'invitation_invalid',
  // A job that is done, failed or cancelled already cannot be cancelled.
  'job_finished',
  // The account was terminated: in its grace period it is read-only and its widgets serve nothing.
  'account_terminated',
  // Restoring an account that is not terminated, or whose grace period is over (purged).
  'account_not_terminated',
  // A bulk delete whose filter matches nothing: there is nothing to start.
  'nothing_to_delete',
  // The account has as many widgets as it may have: delete one before adding another.
  'too_many_widgets',
  // Deleting the account's only widget: add another one first, or terminate the account.
  'last_widget',
  // An optional function the account's plan does not include: the platform admin assigns another plan.
  'function_not_in_plan',
  // An optional function the installation is not set up for (no mail server, no translation service).
  'function_not_configured',
  // A plan still assigned to accounts cannot be deleted.
  'plan_in_use',
  // A webhook URL the installation will not call: not http(s), or at a private, loopback or link-local address.
  'url_not_allowed',
  // An optional function that does not run for this account (off, not in its plan, or not set up).
  'function_inactive',
  // The provider of an optional function failed or did not answer in time; nothing was changed.
  'provider_unavailable',
]);
/** A stable error code. */
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The body of every error answer: `{ error: { code, message, details? } }`. */
export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    requestId: z.string().optional(),
    details: z.unknown().optional(),
  }),
});
/** The body of every error answer. */
export type ErrorBody = z.infer<typeof ErrorBody>;
