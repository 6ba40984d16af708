import { AccountFunctionChange, AccountFunctionDto } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { listAccountFunctions, setAccountFunction } from '../../domain/functions/account-functions.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

const FunctionParams = z.object({ function: z.string().max(100) });

/** The account's optional functions (promise P9): what its plan includes, and turning them on and off. */
export function functionRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/account/functions',
    {
      schema: {
        tags: ['account'],
        summary: 'The optional functions: in the plan, set up, turned on, running, and whom each sends data to',
        response: { 200: z.object({ functions: z.array(AccountFunctionDto) }) },
      },
    },
    async (request) => ({ functions: await listAccountFunctions(ctx, { by: principalOf(request) }) }),
  );
  app.put(
    '/api/v1/account/functions/:function',
    {
      schema: {
        tags: ['account'],
        summary:
          'Turn an optional function on or off (admin); on needs the plan to include it and the installation to be set up for it',
        params: FunctionParams,
        body: AccountFunctionChange.strict(),
        response: { 200: AccountFunctionDto },
      },
    },
    async (request) =>
      setAccountFunction(ctx, { by: principalOf(request), fn: request.params.function, change: request.body }),
  );
}
