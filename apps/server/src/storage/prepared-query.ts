import type { Compilable, CompiledQuery, DialectAdapter } from 'kysely';
import type { Executor } from './schema.js';

/**
 * The SQL texts of every prepared query, as compiled: PostgreSQL connections keep these as named
 * statements (parsed and planned once per connection, see database.ts); others are sent unnamed.
 */
export const preparedTexts = new Set<string>();

/** Stands for a named value in a query built once; compiled, it becomes that value's parameter. */
class Placeholder {
  constructor(readonly name: string) {}
}

interface Template {
  readonly compiled: CompiledQuery;
  /** Per parameter of the compiled query: the placeholder it came from, or a constant of the query. */
  readonly slots: readonly unknown[];
}

/**
 * A query of a hot path, built with Kysely and compiled once per dialect, then run with new values.
 * Building and compiling a Kysely query costs about as much as running a small statement on SQLite;
 * a message send runs several. `build` receives stand-ins for the values, each of which must reach
 * the query as a parameter (a value in `where`, `set`, `values`…), never as SQL text. The stand-ins
 * object has no keys of its own: spell out the columns of `values({ … })` and `set({ … })`.
 */
export class PreparedQuery<Values extends Record<string, unknown>, Row> {
  // Per dialect adapter: a database and each of its transactions share their dialect's adapter.
  private readonly templates = new WeakMap<DialectAdapter, Template>();

  constructor(private readonly build: (db: Executor, values: Values) => Compilable<Row>) {}

  /** Runs the query with `values`; its rows. */
  async execute(db: Executor, values: Values): Promise<Row[]> {
    const template = this.templateFor(db);
    const parameters = template.slots.map((slot) => (slot instanceof Placeholder ? values[slot.name] : slot));
    const result = await db.executeQuery<Row>({ ...template.compiled, parameters });
    return result.rows;
  }

  /** Runs the query with `values`; its first row, if any. */
  async executeTakeFirst(db: Executor, values: Values): Promise<Row | undefined> {
    return (await this.execute(db, values))[0];
  }

  private templateFor(db: Executor): Template {
    // getExecutor() is marked internal, but it is in Kysely's public types and stable since 0.20; the
    // adapter is the one thing that tells the dialects apart on a database or transaction handle.
    const adapter = db.getExecutor().adapter;
    let template = this.templates.get(adapter);
    if (!template) {
      const placeholders = new Map<string, Placeholder>();
      const stand = new Proxy({} as Values, {
        get: (_, name) => {
          if (typeof name !== 'string') return undefined;
          const placeholder = placeholders.get(name) ?? new Placeholder(name);
          placeholders.set(name, placeholder);
          return placeholder;
        },
      });
      const compiled = this.build(db, stand).compile();
      const used = new Set(compiled.parameters.filter((slot) => slot instanceof Placeholder));
      const inlined = [...placeholders.values()].find((placeholder) => !used.has(placeholder));
      if (inlined) throw new Error(`Prepared query: value "${inlined.name}" did not become a parameter`);
      template = { compiled, slots: compiled.parameters };
      this.templates.set(adapter, template);
      preparedTexts.add(compiled.sql);
    }
    return template;
  }
}
