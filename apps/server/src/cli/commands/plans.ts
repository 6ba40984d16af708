import type { Command } from 'commander';
import { OptionalFunction } from '@plauder/protocol';
import { assignPlan, deletePlan, listPlans, setPlan, type Plan } from '../../domain/functions/plans.js';
import { jsonOption, withContext } from '../command-context.js';
import { createOutput } from '../output.js';

function planJson(plan: Plan) {
  return { name: plan.name, functions: plan.functions, accounts: plan.accounts };
}

/** The comma-separated functions of --functions; an empty value for none. */
function functionsOf(value: string): string[] {
  return value
    .split(',')
    .map((fn) => fn.trim())
    .filter(Boolean);
}

/**
 * `plauder plan list|set|delete` and `plauder account plan` (docs/OPTIONAL-FUNCTIONS.md): the plans
 * ("packages") of the installation, the optional functions each includes, and which account has which.
 */
export function registerPlanCommands(cli: Command, account: Command): void {
  const plan = cli.command('plan').description('the plans of the installation and the optional functions they include');
  plan
    .command('list')
    .description('the plans, their optional functions and how many accounts have each')
    .addOption(jsonOption())
    .action(async (options: { json?: boolean }) => {
      const plans = await withContext((ctx) => listPlans(ctx));
      const out = createOutput(Boolean(options.json));
      if (options.json) {
        out.result({ plans: plans.map(planJson) });
        return;
      }
      for (const p of plans) {
        out.say(
          `${p.name.padEnd(16)}  ${String(p.accounts).padStart(5)} accounts  ${p.functions.join(', ') || '(no optional functions)'}`,
        );
      }
    });
  plan
    .command('set')
    .description('create a plan, or change the optional functions it includes (those taken out stop at once)')
    .argument('<name>', 'the plan name: lowercase letters, digits, dashes')
    .requiredOption('--functions <list>', `comma-separated, of ${OptionalFunction.options.join(', ')}; "" for none`)
    .addOption(jsonOption())
    .action(async (name: string, options: { functions: string; json?: boolean }) => {
      const saved = await withContext((ctx) => setPlan(ctx, { name, functions: functionsOf(options.functions) }));
      const out = createOutput(Boolean(options.json));
      out.result(
        options.json
          ? planJson(saved)
          : { plan: saved.name, functions: saved.functions.join(', ') || 'none', accounts: saved.accounts },
      );
    });
  plan
    .command('delete')
    .description('delete a plan no account has')
    .argument('<name>', 'the plan name')
    .addOption(jsonOption())
    .action(async (name: string, options: { json?: boolean }) => {
      await withContext((ctx) => deletePlan(ctx, name));
      createOutput(Boolean(options.json)).result({ deleted: name });
    });
  account
    .command('plan')
    .description('give an account another plan: the optional functions it leaves out stop at once')
    .requiredOption('--account <id>', 'the account id')
    .requiredOption('--plan <name>', 'the plan')
    .addOption(jsonOption())
    .action(async (options: { account: string; plan: string; json?: boolean }) => {
      await withContext((ctx) => assignPlan(ctx, { accountId: options.account, plan: options.plan }));
      createOutput(Boolean(options.json)).result({ accountId: options.account, plan: options.plan });
    });
}
