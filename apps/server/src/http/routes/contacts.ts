import { ContactChanges, ContactDetailDto, ContactPageDto } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { eraseContact } from '../../domain/contacts/erase-contact.js';
import { getContact } from '../../domain/contacts/get-contact.js';
import { findContacts } from '../../domain/contacts/find-contacts.js';
import { listContacts } from '../../domain/contacts/list-contacts.js';
import { updateContact } from '../../domain/contacts/update-contact.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';
import { IdParams, NoContent } from './schemas.js';

// Strict: an email= left over from before POST /contacts/find answers 400, not the whole list.
const ContactQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();
/** An email to find contacts by: in a body, since URLs end up in proxies' and access logs. */
const ContactFind = z.object({ email: z.string().trim().toLowerCase().email().max(320) }).strict();

/** The contacts of the caller's account: every role reads and changes them, admins and owners erase them. */
export function contactRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/contacts',
    {
      schema: {
        tags: ['contacts'],
        summary: "A page of the account's contacts, newest first",
        querystring: ContactQuery,
        response: { 200: ContactPageDto },
      },
    },
    async (request) => listContacts(ctx, { by: principalOf(request), ...request.query }),
  );
  app.post(
    '/api/v1/contacts/find',
    {
      config: { readsOnly: true },
      schema: {
        tags: ['contacts'],
        summary: 'The contacts with an email (the first 50, newest first), found through the blind index',
        body: ContactFind,
        response: { 200: ContactPageDto },
      },
    },
    async (request) => findContacts(ctx, { by: principalOf(request), email: request.body.email }),
  );
  app.get(
    '/api/v1/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'One contact with everything kept about them and their conversations',
        params: IdParams,
        response: { 200: ContactDetailDto },
      },
    },
    async (request) => getContact(ctx, { by: principalOf(request), contactId: request.params.id }),
  );
  app.patch(
    '/api/v1/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: "Change a contact's name, email, phone or notes; null clears one",
        params: IdParams,
        body: ContactChanges,
        response: { 200: ContactDetailDto },
      },
    },
    async (request) =>
      updateContact(ctx, { by: principalOf(request), contactId: request.params.id, changes: request.body }),
  );
  app.delete(
    '/api/v1/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Erase a contact and all their conversations, messages and files (admin)',
        params: IdParams,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await eraseContact(ctx, { by: principalOf(request), contactId: request.params.id });
      return reply.status(204).send(null);
    },
  );
}
