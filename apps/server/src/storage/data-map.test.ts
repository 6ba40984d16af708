import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { compareWithDataMap, mappedColumns, schemaColumns } from './data-map-check.js';
import { dataMap, dataMapBreaches, sealedPersonalColumns, type ColumnClass } from './data-map.js';

describe(`data map (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('classifies exactly the columns of the migrated schema, no more and no fewer', async () => {
    const columns = await schemaColumns(t.ctx.database);
    expect(columns.length).toBeGreaterThan(100);
    expect(columns).toContain('messages.body_sealed');
    expect(compareWithDataMap(columns)).toEqual({ unclassified: [], missing: [] });
    expect(columns).toEqual(mappedColumns());
  });

  it('reports a column that a migration added without classifying it', async () => {
    await sql`alter table contacts add column extra text`.execute(t.ctx.database.db);
    const columns = await schemaColumns(t.ctx.database);
    expect(compareWithDataMap(columns)).toEqual({ unclassified: ['contacts.extra'], missing: [] });
  });

  it('reports a table that a migration added without classifying it', async () => {
    await sql`create table notes (id text primary key, body text)`.execute(t.ctx.database.db);
    const columns = await schemaColumns(t.ctx.database);
    expect(compareWithDataMap(columns).unclassified).toEqual(['notes.body', 'notes.id']);
  });

  it('reports a classified column that the schema no longer has', async () => {
    await sql`alter table contacts drop column notes_sealed`.execute(t.ctx.database.db);
    const columns = await schemaColumns(t.ctx.database);
    expect(compareWithDataMap(columns)).toEqual({ unclassified: [], missing: ['contacts.notes_sealed'] });
  });
});

describe('data map rules', () => {
  it('stores no personal column in plain', () => {
    expect(dataMapBreaches()).toEqual([]);
  });

  it('classifies every *_sealed column as sealed and every sealed personal column by its subject', () => {
    for (const [table, columns] of Object.entries(dataMap)) {
      for (const [column, c] of Object.entries(columns as Record<string, ColumnClass>)) {
        const name = `${table}.${column}`;
        if (column.endsWith('_sealed')) expect(c.protection, name).toBe('sealed');
        if (column.endsWith('_index')) expect(c.protection, name).toBe('blind-index');
        if (c.personal && c.protection === 'sealed') {
          expect(column, name).toMatch(/_sealed$/);
          expect(c.subject, name).toBeDefined();
          expect(c.erasure, name).toBe('key-destruction');
        }
      }
    }
  });

  it('lists the sealed personal columns the plaintext scan writes markers into', () => {
    expect(sealedPersonalColumns()).toEqual(
      expect.arrayContaining([
        'operators.email_sealed',
        'contacts.email_sealed',
        'conversations.visitor_ip_sealed',
        'messages.body_sealed',
        'attachments.file_name_sealed',
      ]),
    );
    expect(sealedPersonalColumns()).not.toContain('keyring.wrapped_key');
  });
});
