import { z } from 'zod';

/** The path parameters of a route about one record: its UUID. */
export const IdParams = z.object({ id: z.string().uuid() });

/** The body of a 204 answer: none. */
export const NoContent = z.null();
