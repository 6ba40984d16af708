import type { Context } from '../../context.js';
import { getOperator } from '../../storage/operators-repository.js';

/** Operators' display names of one account, each looked up once (per socket, or per request). */
export class OperatorNames {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly ctx: Context,
    private readonly accountId: string,
  ) {}

  /** The display name of an operator of the account; "Operator" for one who is gone. */
  async of(operatorId: string): Promise<string> {
    const known = this.names.get(operatorId);
    if (known !== undefined) return known;
    const operator = await getOperator(this.ctx.store, { accountId: this.accountId, operatorId });
    const name = operator?.displayName ?? 'Operator';
    this.names.set(operatorId, name);
    return name;
  }
}
