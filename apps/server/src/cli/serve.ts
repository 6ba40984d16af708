import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config.js';
import { createContext, type Context } from '../context.js';
import { OptionalFunction } from '@plauder/protocol';
import { createAccount } from '../domain/accounts/create-account.js';
import { setPlan } from '../domain/functions/plans.js';
import { DEMO_PLAN, findDemoWidgetKey } from '../domain/widgets/demo-widget.js';
import { buildServer } from '../http/server.js';
import { Worker } from '../jobs/worker.js';
import { DeliveryWorker } from '../domain/deliveries/delivery-worker.js';
import { listAccounts } from '../storage/accounts-repository.js';

/** The login of the demo owner made at the first embedded start. */
export const DEMO_OWNER_EMAIL = 'owner@demo.plauder.local';

/**
 * On the first start of an embedded installation (no account yet), creates a demo account and returns
 * its owner's login, to be printed once. PostgreSQL installations start empty: `plauder account create`.
 */
export async function ensureDemoAccount(ctx: Context): Promise<{ email: string; password: string } | undefined> {
  if (!ctx.config.embedded || (await listAccounts(ctx.database.db)).length > 0) return undefined;
  const password = randomBytes(12).toString('base64url');
  // The demo plan includes every optional function; each stays off until turned on (and set up).
  await setPlan(ctx, { name: DEMO_PLAN, functions: OptionalFunction.options });
  await createAccount(ctx, {
    name: 'Demo',
    plan: DEMO_PLAN,
    owner: { email: DEMO_OWNER_EMAIL, displayName: 'Demo Owner', password },
    actor: { kind: 'system', id: null },
  });
  return { email: DEMO_OWNER_EMAIL, password };
}

/** `plauder serve`: all roles in one process until SIGINT or SIGTERM, then a graceful close. */
export async function serve(config: Config): Promise<void> {
  const ctx = await createContext(config);
  const demo = await ensureDemoAccount(ctx);
  const app = await buildServer(ctx);
  await app.listen({ port: config.port, host: config.host });
  const worker = new Worker(ctx);
  worker.start();
  const deliveries = new DeliveryWorker(ctx);
  deliveries.start();
  const lines = [
    `Plauder is running at ${config.publicUrl}`,
    `  storage: ${ctx.database.dialect}, region: ${config.dataRegion}`,
  ];
  if (demo) {
    lines.push(
      '  Demo account created. Owner login (shown only this once):',
      `    email:    ${demo.email}`,
      `    password: ${demo.password}`,
    );
  }
  if (await findDemoWidgetKey(ctx)) lines.push(`  Demo page with the chat widget: ${config.publicUrl}/demo`);
  process.stdout.write(`${lines.join('\n')}\n`);
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    ctx.logger.info({ signal }, 'Shutting down');
    await worker.stop();
    await deliveries.stop();
    await app.close();
    await ctx.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void close(signal));
}
