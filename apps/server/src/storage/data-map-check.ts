import { sql } from 'kysely';
import { dataMap, type ColumnClass } from './data-map.js';
import type { Database } from './database.js';

/**
 * Every column of every table the live database has, as sorted `table.column`, Kysely's own tables
 * left out: what the data map is held against (its test, the privacy report).
 */
export async function schemaColumns(database: Database): Promise<string[]> {
  // Dialect branch: SQLite describes its tables through sqlite_master and pragmas, PostgreSQL through
  // information_schema (limited to this connection's schema, since test runs share one database).
  if (database.dialect === 'sqlite') {
    const { rows } = await sql<{ name: string }>`
      select name from sqlite_master
      where type = 'table' and name not like 'sqlite\\_%' escape '\\' and name not like 'kysely\\_migration%' escape '\\'
    `.execute(database.db);
    const columns: string[] = [];
    for (const { name } of rows) {
      const info = await sql<{ name: string }>`select name from pragma_table_info(${name})`.execute(database.db);
      columns.push(...info.rows.map((c) => `${name}.${c.name}`));
    }
    return columns.sort();
  }
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and table_name not like 'kysely\\_migration%' escape '\\'
  `.execute(database.db);
  return rows.map((r) => `${r.table_name}.${r.column_name}`).sort();
}

/** Every column the data map classifies, as sorted `table.column`. */
export function mappedColumns(): string[] {
  return Object.entries(dataMap)
    .flatMap(([table, columns]) =>
      // Safe: `Classes` maps every column of every table to a ColumnClass; the cast forgets only the column names.
      Object.keys(columns as Record<string, ColumnClass>).map((c) => `${table}.${c}`),
    )
    .sort();
}

/**
 * The differences between the live schema's columns and the data map, in both directions: columns the
 * map does not classify, and classified ones the database does not have.
 */
export function compareWithDataMap(columns: readonly string[]): { unclassified: string[]; missing: string[] } {
  const mapped = new Set(mappedColumns());
  const live = new Set(columns);
  return {
    unclassified: columns.filter((c) => !mapped.has(c)),
    missing: [...mapped].filter((c) => !live.has(c)),
  };
}
