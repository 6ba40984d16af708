import { z } from 'zod';

/** The roles of an operator within an account, from most to least privileged. */
export const Role = z.enum(['owner', 'admin', 'operator']);
/** An operator's role. */
export type Role = z.infer<typeof Role>;

/** What an API token may do: read only, or read and write. */
export const TokenScope = z.enum(['read', 'write']);
/** An API token's scope. */
export type TokenScope = z.infer<typeof TokenScope>;

/** Login with email and password, plus a TOTP code when 2FA is on. */
export const LoginRequest = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  password: z.string().min(1).max(1024),
  totp: z
    .string()
    .regex(/^\d{6}$/, 'a 6-digit code')
    .optional(),
});
/** Login body. */
export type LoginRequest = z.infer<typeof LoginRequest>;

/** The operator as the console sees it. */
export const OperatorDto = z.object({
  id: z.string(),
  accountId: z.string(),
  email: z.string(),
  displayName: z.string(),
  role: Role,
  totpEnabled: z.boolean(),
  /** How many conversations routing gives the operator at most (0 to 100); 5 until chosen. */
  capacity: z.number().int().nonnegative(),
  createdAt: z.number().int(),
});
/** An operator. */
export type OperatorDto = z.infer<typeof OperatorDto>;

/** Answer to a successful login; `csrfToken` goes in the `x-csrf-token` header of every write. */
export const SessionDto = z.object({
  operator: OperatorDto,
  csrfToken: z.string(),
  expiresAt: z.number().int(),
});
/** A started session. */
export type SessionDto = z.infer<typeof SessionDto>;

/** An API token as listed; the secret is shown once, at creation. */
export const ApiTokenDto = z.object({
  id: z.string(),
  name: z.string(),
  scope: TokenScope,
  createdAt: z.number().int(),
  lastUsedAt: z.number().int().nullable(),
  expiresAt: z.number().int().nullable(),
});
/** An API token. */
export type ApiTokenDto = z.infer<typeof ApiTokenDto>;

/** A pending invitation of a colleague to the account; its token is shown once, at creation. */
export const OperatorInvitationDto = z.object({
  id: z.string(),
  email: z.string(),
  role: Role,
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
});
/** A pending operator invitation. */
export type OperatorInvitationDto = z.infer<typeof OperatorInvitationDto>;

/** The answer to a new invitation: the link to hand to the invitee, shown this once. */
export const IssuedOperatorInvitationDto = OperatorInvitationDto.extend({ inviteUrl: z.string() });
/** A new invitation with its link. */
export type IssuedOperatorInvitationDto = z.infer<typeof IssuedOperatorInvitationDto>;

/** Invites a colleague by email to join the account with a role. */
export const NewOperatorInvitation = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  role: Role.default('operator'),
});
/** The body of a new invitation. */
export type NewOperatorInvitation = z.infer<typeof NewOperatorInvitation>;

/** Accepts an invitation: the token from the link, and the new operator's name and password. */
export const AcceptInvitation = z.object({
  token: z.string().min(1).max(200),
  displayName: z.string().trim().min(1).max(120),
  password: z.string().min(10).max(1024),
});
/** The body that accepts an invitation. */
export type AcceptInvitation = z.infer<typeof AcceptInvitation>;
