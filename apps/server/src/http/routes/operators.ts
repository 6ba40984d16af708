import { OperatorDto, Role } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { changeOperatorRole } from '../../domain/operators/change-operator-role.js';
import { createOperator } from '../../domain/operators/create-operator.js';
import { listOperators } from '../../domain/operators/list-operators.js';
import { removeOperator } from '../../domain/operators/remove-operator.js';
import { setOperatorCapacity } from '../../domain/operators/set-operator-capacity.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';
import { presentOperator } from './auth.js';
import { IdParams, NoContent } from './schemas.js';

const NewOperator = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  displayName: z.string().min(1).max(120),
  password: z.string().min(10).max(1024),
  role: Role.default('operator'),
});

/** The operators of the caller's account. */
export function operatorRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/operators',
    {
      schema: {
        tags: ['operators'],
        summary: "The account's operators",
        response: { 200: z.object({ operators: z.array(OperatorDto) }) },
      },
    },
    async (request) => ({ operators: (await listOperators(ctx, { by: principalOf(request) })).map(presentOperator) }),
  );
  app.post(
    '/api/v1/operators',
    {
      schema: {
        tags: ['operators'],
        summary: 'Add an operator (admin; owners add owners)',
        body: NewOperator,
        response: { 201: OperatorDto },
      },
    },
    async (request, reply) => {
      const operator = await createOperator(ctx, { by: principalOf(request), ...request.body });
      return reply.status(201).send(presentOperator(operator));
    },
  );
  app.put(
    '/api/v1/operators/:id/role',
    {
      schema: {
        tags: ['operators'],
        summary: "Change an operator's role (admin; owners grant or take the owner role)",
        params: IdParams,
        body: z.object({ role: Role }),
        response: { 200: OperatorDto },
      },
    },
    async (request) =>
      presentOperator(
        await changeOperatorRole(ctx, {
          by: principalOf(request),
          operatorId: request.params.id,
          role: request.body.role,
        }),
      ),
  );
  app.put(
    '/api/v1/operators/:id/capacity',
    {
      schema: {
        tags: ['operators'],
        summary: 'Set how many conversations routing gives an operator at most (admin, or the operator)',
        params: IdParams,
        body: z.object({ capacity: z.number().int().min(0).max(100) }),
        response: { 200: OperatorDto },
      },
    },
    async (request) =>
      presentOperator(
        await setOperatorCapacity(ctx, {
          by: principalOf(request),
          operatorId: request.params.id,
          capacity: request.body.capacity,
        }),
      ),
  );
  app.delete(
    '/api/v1/operators/:id',
    {
      schema: {
        tags: ['operators'],
        summary: 'Remove an operator: they can no longer log in, their chats go back to the queue (admin)',
        params: IdParams,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await removeOperator(ctx, { by: principalOf(request), operatorId: request.params.id });
      // Their sockets on this node close now; other nodes close theirs at their next session check.
      // The removal is committed: a failed check leaves the sockets to the periodic one, not a 500.
      await app.gateway.checkSessions().catch((error: unknown) => {
        request.log.error({ err: error }, 'Could not check sessions after removing an operator');
      });
      return reply.status(204).send(null);
    },
  );
}
